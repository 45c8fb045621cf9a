//! The handlers: each turns a request into one Recorder input and answers with the state.

use agentrec_core::{Action, CallEvent, Input, ParticipantEvent};
use axum::extract::{FromRequest, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::ApiState;
use super::error::ApiError;
use crate::status::StatusView;

/// `Json<T>` whose rejections are our JSON errors.
#[derive(Debug, FromRequest)]
#[from_request(via(Json), rejection(ApiError))]
pub(super) struct ApiJson<T>(T);

pub(super) fn router() -> Router<ApiState> {
    Router::new()
        .route("/v1/state", get(state))
        .route("/v1/call-events", post(call_event))
        .route("/v1/participant-events", post(participant_event))
        .route("/v1/actions", post(action))
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
}

fn view(state: &ApiState, recorder: agentrec_core::Snapshot) -> Json<StatusView> {
    Json(StatusView::new(recorder, state.status.get()))
}

async fn state(State(state): State<ApiState>) -> Json<StatusView> {
    view(&state, state.recorder.snapshot())
}

async fn call_event(
    State(state): State<ApiState>,
    ApiJson(event): ApiJson<CallEvent>,
) -> Result<Json<StatusView>, ApiError> {
    let handled = state
        .recorder
        .input(Input::Call(event), state.queue_timeout)
        .await?;
    Ok(view(&state, handled.snapshot))
}

async fn participant_event(
    State(state): State<ApiState>,
    ApiJson(event): ApiJson<ParticipantEvent>,
) -> Result<Json<StatusView>, ApiError> {
    let handled = state
        .recorder
        .input(Input::Participant(event), state.queue_timeout)
        .await?;
    Ok(view(&state, handled.snapshot))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionRequest {
    action: Action,
}

async fn action(
    State(state): State<ApiState>,
    ApiJson(request): ApiJson<ActionRequest>,
) -> Result<Json<StatusView>, ApiError> {
    let snapshot = state
        .recorder
        .act(request.action, state.queue_timeout)
        .await?;
    Ok(view(&state, snapshot))
}
