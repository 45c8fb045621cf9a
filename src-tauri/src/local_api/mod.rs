//! The local API on 127.0.0.1: a softphone or CTI toolbar on the same PC posts call events,
//! the agent's browser apps pause and resume for PCI, and anything may read the state.
//!
//! Every request carries `Authorization: Bearer <token>`; the token is random per start and
//! written with the URL to a file only the user can read ([`token_file`]). Bodies are bounded,
//! errors are JSON with a `kind` ([`error::ApiError`]), and browsers are let in only from
//! the origins the managed config lists.
//!
//! | method | path | body | answer |
//! |---|---|---|---|
//! | GET | `/v1/state` | — | the status view |
//! | POST | `/v1/call-events` | a `CallEvent` | the status view after it |
//! | POST | `/v1/participant-events` | a `ParticipantEvent` | the status view after it |
//! | POST | `/v1/actions` | `{"action": "pause"}` | the status view, or 409 with the refusal |

pub mod auth;
pub mod error;
mod routes;
pub mod token_file;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

pub use auth::ApiToken;

use crate::recorder_task::RecorderHandle;
use crate::status::AgentStatusBoard;

/// Largest request body accepted: call events are a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// How long a request waits for room in the Recorder's queue before answering 503.
pub const QUEUE_TIMEOUT: Duration = Duration::from_secs(2);

/// What the handlers need.
#[derive(Debug, Clone)]
pub struct ApiState {
    /// The Recorder.
    pub recorder: RecorderHandle,
    /// The rest of the status.
    pub status: AgentStatusBoard,
    /// The bearer token.
    pub token: ApiToken,
    /// How long a request waits for room in the Recorder's queue before answering 503
    /// ([`QUEUE_TIMEOUT`] in the app).
    pub queue_timeout: Duration,
}

/// The router, with auth, body limit and CORS for `allowed_origins` (none: no CORS at all).
pub fn app(state: ApiState, allowed_origins: &[String]) -> Router {
    let router = routes::router()
        .layer(axum::middleware::from_fn_with_state(
            state.token.clone(),
            auth::require_token,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    let origins: Vec<HeaderValue> = allowed_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok())
        .collect();
    if origins.is_empty() {
        return router;
    }
    // Outermost, so that preflight requests (which carry no token) are answered here.
    router.layer(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .max_age(Duration::from_secs(600)),
    )
}

/// Binds 127.0.0.1:`port` (0 = any free port).
pub async fn bind(port: u16) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await
}

/// Serves `router` on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    axum::serve(listener, router).await
}
