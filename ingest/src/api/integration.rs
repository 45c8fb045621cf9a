//! The CTI integration endpoint: a contact-center platform (or connector) reports an agent's
//! call events; the server relays them to that agent's app.

use agentrec_core::wire::{CallEventAccepted, CallEventPost};
use axum::extract::State;
use axum::http::StatusCode;

use crate::AppState;
use crate::auth::Principal;
use crate::db::users::Role;
use crate::error::{ApiError, ApiJson, ApiResult, ErrorBody};

/// Post a call event.
///
/// `core::wire::CallEventPost`: the agent (by e-mail) and a call event (`{"call": {"type":
/// "answered", …}}`) or participant event (`{"participant": {"type": "joined", …}}`). Relayed
/// at once to the agent's connected apps; kept for a few minutes for an app that is offline.
/// Needs an integration or admin API token.
#[utoipa::path(post, path = "/integrations/call-events", operation_id = "postCallEvent", tag = "Integrations",
    request_body(content = Object, description = "`core::wire::CallEventPost`", content_type = "application/json"),
    responses(
        (status = 202, description = "`core::wire::CallEventAccepted`: id, delivered, kept_until_ms", body = Object),
        (status = 401, description = "Invalid or missing API token", body = ErrorBody),
        (status = 403, description = "Not an integration or admin token", body = ErrorBody),
        (status = 404, description = "No such agent", body = ErrorBody),
        (status = 422, description = "Invalid event", body = ErrorBody),
    ))]
pub async fn post_call_event(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<CallEventPost>,
) -> ApiResult<(StatusCode, ApiJson<CallEventAccepted>)> {
    principal.require_role(&[Role::Admin, Role::Integration])?;
    let agent = state
        .db
        .user_by_email(&body.agent)
        .await?
        .filter(|u| u.role == Role::Member || u.role == Role::Supervisor)
        .ok_or_else(|| ApiError::NotFound(format!("no agent {}", body.agent)))?;
    let posted = state.hub.post(agent.id, body.event);
    if posted.delivered == 0 {
        tracing::info!(agent = %agent.email, id = %posted.id, "agent offline: call event kept for later");
    }
    Ok((
        StatusCode::ACCEPTED,
        ApiJson(CallEventAccepted {
            id: posted.id,
            delivered: posted.delivered,
            kept_until_ms: posted.kept_until_ms,
        }),
    ))
}
