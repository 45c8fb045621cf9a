//! Tauri IPC commands: thin; each sends one input to the Recorder's owner task (or saves one
//! setting) and returns a typed, serializable error.

use std::sync::Arc;
use std::time::Duration;

use agentrec_core::{Action, Refusal};
use serde::Serialize;
use tauri::{AppHandle, State};

use crate::config::{self, UserEnrollment};
use crate::recorder_task::{ActError, SendError};
use crate::shell::AppContext;
use crate::status::{EnrollmentSource, EnrollmentStatus, StatusView};
use crate::windows;

/// How long a window waits for room in the Recorder's queue.
const QUEUE_TIMEOUT: Duration = Duration::from_secs(2);

/// The status now.
#[tauri::command]
pub fn get_status(context: State<'_, Arc<AppContext>>) -> StatusView {
    context.view()
}

/// Why an action from a window did not happen.
#[derive(Debug, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActCommandError {
    /// The Recorder refused it (the window shows the reason).
    #[error("{message}")]
    Refused {
        /// For people.
        message: String,
        /// The Recorder's reason.
        refusal: Refusal,
    },
    /// The Recorder is busy or shutting down.
    #[error("{message}")]
    RecorderUnavailable {
        /// For people.
        message: String,
        /// Busy or closed.
        reason: SendError,
    },
}

/// Asks the Recorder for `action`.
#[tauri::command]
pub async fn act(
    context: State<'_, Arc<AppContext>>,
    action: Action,
) -> Result<StatusView, ActCommandError> {
    match context.recorder.act(action, QUEUE_TIMEOUT).await {
        Ok(snapshot) => Ok(StatusView::new(snapshot, context.board.get())),
        Err(ActError::Refused(refusal)) => Err(ActCommandError::Refused {
            message: refusal.to_string(),
            refusal,
        }),
        Err(ActError::Unavailable(reason)) => Err(ActCommandError::RecorderUnavailable {
            message: reason.to_string(),
            reason,
        }),
    }
}

/// Why the first-run enrollment was not saved.
#[derive(Debug, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EnrollError {
    /// The server URL is not an http(s) URL.
    #[error("{message}")]
    InvalidUrl {
        /// For people.
        message: String,
    },
    /// No token was entered.
    #[error("{message}")]
    MissingToken {
        /// For people.
        message: String,
    },
    /// IT manages this machine: its config decides.
    #[error("{message}")]
    AlreadyManaged {
        /// For people.
        message: String,
    },
    /// The keyring or the data directory refused it.
    #[error("{message}")]
    SaveFailed {
        /// For people.
        message: String,
    },
}

/// Saves the server URL and enrollment token the agent entered in the first-run window.
#[tauri::command]
pub fn enroll(
    app: AppHandle,
    context: State<'_, Arc<AppContext>>,
    server_url: String,
    token: String,
) -> Result<(), EnrollError> {
    // A managed machine takes a token from the agent only when the server needs a new one
    // (revoked credential, refused token); the server stays the one IT configured.
    let needs_token_for = match context.board.get().enrollment {
        EnrollmentStatus::NeedsToken { server_url, .. } => Some(server_url),
        _ => None,
    };
    let mut server_url = server_url.trim().trim_end_matches('/').to_owned();
    if context.managed {
        let Some(managed_url) = needs_token_for else {
            return Err(EnrollError::AlreadyManaged {
                message: "this workstation is managed by IT: its configuration decides the server"
                    .to_owned(),
            });
        };
        if !server_url.is_empty() && server_url != managed_url {
            return Err(EnrollError::AlreadyManaged {
                message: format!(
                    "this workstation is managed by IT: it enrolls with {managed_url}"
                ),
            });
        }
        server_url = managed_url;
    }
    config::check_server_url(&server_url).map_err(|message| EnrollError::InvalidUrl { message })?;
    let token = token.trim();
    if token.is_empty() {
        return Err(EnrollError::MissingToken {
            message: "enter the enrollment token IT gave you".to_owned(),
        });
    }
    let save_failed = |e: &dyn std::fmt::Display| EnrollError::SaveFailed {
        message: e.to_string(),
    };
    context
        .secrets
        .set_enrollment_token(token)
        .map_err(|e| save_failed(&e))?;
    if !context.managed {
        let data_dir = context
            .data_dir
            .as_deref()
            .ok_or_else(|| EnrollError::SaveFailed {
                message: "no per-user data directory".to_owned(),
            })?;
        config::save_user_enrollment(
            data_dir,
            &UserEnrollment {
                server_url: server_url.clone(),
            },
        )
        .map_err(|e| save_failed(&e))?;
    }
    tracing::info!(%server_url, "enrollment entered by the agent");
    let source = if context.managed {
        EnrollmentSource::Managed
    } else {
        EnrollmentSource::User
    };
    context.board.update(|s| {
        s.enrollment = EnrollmentStatus::Pending {
            server_url,
            source,
            detail: crate::enrollment::NO_SERVER_LINK.to_owned(),
        };
    });
    // The server link waits for this to enroll (again).
    context.enrollment_entered.notify_one();
    windows::close_enroll(&app);
    Ok(())
}
