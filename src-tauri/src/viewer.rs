//! The supervisor viewer window: the `viewer.html` page of `ui/` (the same build the ingest
//! server serves at `/viewer/`), signed in with the user's API token, which is kept in the OS
//! keyring. The tray shows "Review recordings…" once a viewer sign-in is stored;
//! `agentrec --review` opens the window (to sign in the first time).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, State, WebviewUrl, WebviewWindowBuilder};

use crate::secrets::{Secrets, SecretsError};
use crate::shell::AppContext;

/// The window's label (also in `capabilities/default.json`).
pub const LABEL: &str = "viewer";

static SIGNED_IN: AtomicBool = AtomicBool::new(false);

/// Whether a viewer sign-in is stored (for the tray's "Review recordings…").
pub fn signed_in() -> bool {
    SIGNED_IN.load(Ordering::Relaxed)
}

/// Reads whether a sign-in is stored, at start.
pub fn load(secrets: &Secrets) {
    let stored = matches!(secrets.viewer_credentials(), Ok(Some(_)));
    SIGNED_IN.store(stored, Ordering::Relaxed);
}

/// The stored sign-in.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ViewerCredentials {
    /// The ingest server's URL.
    pub server: Option<String>,
    /// The user's API token.
    pub token: Option<String>,
}

/// Why the viewer's sign-in could not be read or kept.
#[derive(Debug, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ViewerError {
    /// The keyring failed.
    #[error("{message}")]
    Keyring {
        /// For people.
        message: String,
    },
    /// The server URL is not one the app accepts.
    #[error("{message}")]
    BadServerUrl {
        /// For people.
        message: String,
    },
}

impl From<SecretsError> for ViewerError {
    fn from(e: SecretsError) -> Self {
        ViewerError::Keyring {
            message: e.to_string(),
        }
    }
}

/// The stored sign-in, if any.
#[tauri::command]
pub fn viewer_credentials(
    context: State<'_, Arc<AppContext>>,
) -> Result<ViewerCredentials, ViewerError> {
    Ok(context
        .secrets
        .viewer_credentials()?
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default())
}

/// Keeps the sign-in (the page checked the token with the server first).
#[tauri::command]
pub fn viewer_sign_in(
    app: AppHandle,
    context: State<'_, Arc<AppContext>>,
    server: String,
    token: String,
) -> Result<(), ViewerError> {
    crate::config::check_server_url(&server)
        .map_err(|message| ViewerError::BadServerUrl { message })?;
    let json = serde_json::to_string(&ViewerCredentials {
        server: Some(server),
        token: Some(token),
    })
    .map_err(|e| ViewerError::Keyring {
        message: e.to_string(),
    })?;
    context.secrets.set_viewer_credentials(&json)?;
    SIGNED_IN.store(true, Ordering::Relaxed);
    crate::shell::refresh_tray(&app);
    Ok(())
}

/// Forgets the sign-in.
#[tauri::command]
pub fn viewer_sign_out(
    app: AppHandle,
    context: State<'_, Arc<AppContext>>,
) -> Result<(), ViewerError> {
    context.secrets.delete_viewer_credentials()?;
    SIGNED_IN.store(false, Ordering::Relaxed);
    crate::shell::refresh_tray(&app);
    Ok(())
}

/// Opens (or raises) the viewer window.
pub fn show(app: &AppHandle) {
    if let Some(w) = app.get_webview_window(LABEL) {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
        return;
    }
    if let Err(e) = WebviewWindowBuilder::new(app, LABEL, WebviewUrl::App("viewer.html".into()))
        .title("agentrec — recordings")
        .inner_size(1280.0, 860.0)
        .min_inner_size(800.0, 560.0)
        .build()
    {
        tracing::error!(error = %e, "cannot open the viewer window");
    }
}
