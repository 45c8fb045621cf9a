//! The app's windows. None is open by default (a tray app); each is created when needed and
//! loads its page from the embedded `ui/dist`.
//!
//! | label | page | opens when |
//! |---|---|---|
//! | `status` | status.html | the tray's "Show status", a second launch, `--show-status`, a config problem |
//! | `prompt` | prompt.html | the Recorder asks the host "Start recording this session?" |
//! | `indicator` | indicator.html | recording or paused (always on top, never takes focus, click-through) |
//! | `enroll` | enroll.html | first run without a managed config |

use tauri::{AppHandle, LogicalPosition, Manager, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

/// Window labels (also listed in `capabilities/default.json`).
pub mod label {
    /// The status window.
    pub const STATUS: &str = "status";
    /// The live-session prompt.
    pub const PROMPT: &str = "prompt";
    /// The recording indicator.
    pub const INDICATOR: &str = "indicator";
    /// The first-run enrollment window.
    pub const ENROLL: &str = "enroll";
}

/// Size of the indicator strip, in logical pixels.
const INDICATOR_SIZE: (f64, f64) = (230.0, 34.0);
/// Size of the prompt window.
const PROMPT_SIZE: (f64, f64) = (380.0, 150.0);

fn existing(app: &AppHandle, label: &str) -> Option<WebviewWindow> {
    app.get_webview_window(label)
}

fn raise(window: &WebviewWindow) {
    let _ = window.unminimize();
    let _ = window.show();
    let _ = window.set_focus();
}

fn log_failure(what: &str, result: tauri::Result<WebviewWindow>) {
    if let Err(e) = result {
        tracing::error!(error = %e, "cannot open the {what} window");
    }
}

/// Small fixed-size windows. GTK sizes a non-resizable window to its child's natural size,
/// which a WebKit view puts at 200 px; size constraints pin the size instead.
fn fixed(
    builder: WebviewWindowBuilder<'_, tauri::Wry, AppHandle>,
    (width, height): (f64, f64),
) -> WebviewWindowBuilder<'_, tauri::Wry, AppHandle> {
    builder
        .inner_size(width, height)
        .min_inner_size(width, height)
        .max_inner_size(width, height)
}

/// Opens (or raises) the status window.
pub fn show_status(app: &AppHandle) {
    if let Some(w) = existing(app, label::STATUS) {
        return raise(&w);
    }
    log_failure(
        label::STATUS,
        WebviewWindowBuilder::new(app, label::STATUS, WebviewUrl::App("status.html".into()))
            .title("agentrec — status")
            .inner_size(460.0, 420.0)
            .min_inner_size(360.0, 300.0)
            .build(),
    );
}

/// Opens (or raises) the live-session prompt.
pub fn show_prompt(app: &AppHandle) {
    if let Some(w) = existing(app, label::PROMPT) {
        return raise(&w);
    }
    let builder =
        WebviewWindowBuilder::new(app, label::PROMPT, WebviewUrl::App("prompt.html".into()))
            .title("Start recording?")
            .always_on_top(true)
            .center();
    log_failure(label::PROMPT, fixed(builder, PROMPT_SIZE).build());
}

/// Closes the prompt (answered, started by hand, or the session ended).
pub fn close_prompt(app: &AppHandle) {
    if let Some(w) = existing(app, label::PROMPT) {
        let _ = w.destroy();
    }
}

/// Shows the recording indicator in the top-right corner of the primary monitor. The page
/// itself shows "recording" or "paused" from the status events.
pub fn show_indicator(app: &AppHandle) {
    if let Some(w) = existing(app, label::INDICATOR) {
        let _ = w.show();
        return;
    }
    let builder = WebviewWindowBuilder::new(
        app,
        label::INDICATOR,
        WebviewUrl::App("indicator.html".into()),
    )
    .title("agentrec — recording")
    .decorations(false)
    .always_on_top(true)
    .visible_on_all_workspaces(true)
    .skip_taskbar(true)
    .focused(false)
    .focusable(false)
    .shadow(false);
    let mut builder = fixed(builder, INDICATOR_SIZE);
    if let Some(position) = indicator_position(app) {
        builder = builder.position(position.x, position.y);
    }
    match builder.build() {
        // Click-through: the strip must never be in the agent's way.
        Ok(w) => {
            let _ = w.set_ignore_cursor_events(true);
        }
        Err(e) => tracing::error!(error = %e, "cannot open the indicator window"),
    }
}

fn indicator_position(app: &AppHandle) -> Option<LogicalPosition<f64>> {
    let monitor = app.primary_monitor().ok().flatten()?;
    let scale = monitor.scale_factor();
    let origin = monitor.position().to_logical::<f64>(scale);
    let size = monitor.size().to_logical::<f64>(scale);
    Some(LogicalPosition::new(
        origin.x + size.width - INDICATOR_SIZE.0 - 16.0,
        origin.y + 16.0,
    ))
}

/// Hides the recording indicator.
pub fn hide_indicator(app: &AppHandle) {
    if let Some(w) = existing(app, label::INDICATOR) {
        let _ = w.destroy();
    }
}

/// Opens (or raises) the first-run enrollment window.
pub fn show_enroll(app: &AppHandle) {
    if let Some(w) = existing(app, label::ENROLL) {
        return raise(&w);
    }
    log_failure(
        label::ENROLL,
        WebviewWindowBuilder::new(app, label::ENROLL, WebviewUrl::App("enroll.html".into()))
            .title("agentrec — enroll this workstation")
            .inner_size(440.0, 330.0)
            .center()
            .build(),
    );
}

/// Closes the enrollment window.
pub fn close_enroll(app: &AppHandle) {
    if let Some(w) = existing(app, label::ENROLL) {
        let _ = w.destroy();
    }
}
