//! The Tauri shell: builds the app, wires the Recorder's owner task to the tray, windows,
//! notifications and local API, and shuts down cleanly.

use std::sync::Arc;
use std::time::Duration;

use agentrec_core::recorder::Notice;
use agentrec_core::{Input, Recorder};
use tauri::menu::MenuEvent;
use tauri::{AppHandle, Emitter, Manager, RunEvent};

use crate::capture_port::{CAPTURE_UNAVAILABLE, CaptureDriver, UnavailableCapture};
use crate::local_api;
use crate::pipeline::{self, PipelineConfig, PipelineHandle};
use crate::recorder_task::{self, Consumers, RecorderHandle};
use crate::recording_sink::{NoUploader, RecordingSink};
use crate::server_link::ServerLink;
use crate::startup::{self, Startup};
use crate::status::{AgentStatus, AgentStatusBoard, CaptureStatus, EnrollmentStatus, StatusView};
use crate::tray;
use crate::ui_port::{AgentUi, UiEffect};
use crate::windows;
use crate::{commands, notify::Notifier};

/// Event carrying a [`StatusView`] to every window on each change.
pub const STATUS_EVENT: &str = "status";

/// Command-line switches.
#[derive(Debug, Clone, Default)]
pub struct Args {
    /// Open the status window at start.
    pub show_status: bool,
    /// Open the supervisor viewer at start (`--review`).
    pub review: bool,
}

impl Args {
    /// Parses the process arguments (unknown ones are ignored: autostart adds its own).
    pub fn parse(args: impl IntoIterator<Item = String>) -> Self {
        let args: Vec<String> = args.into_iter().collect();
        Args {
            show_status: args.iter().any(|a| a == "--show-status"),
            review: args.iter().any(|a| a == "--review"),
        }
    }
}

/// Shared state of the IPC commands.
#[derive(Debug)]
pub struct AppContext {
    /// The Recorder.
    pub recorder: RecorderHandle,
    /// The rest of the status.
    pub board: AgentStatusBoard,
    /// The keyring.
    pub secrets: crate::secrets::Secrets,
    /// Per-user data directory.
    pub data_dir: Option<std::path::PathBuf>,
    /// Whether IT manages this machine's config.
    pub managed: bool,
    /// Woken when the agent enters a server URL or enrollment token.
    pub enrollment_entered: Arc<tokio::sync::Notify>,
    /// The recording pipeline (`None` when it could not start: no keyring, no data dir).
    pub pipeline: Option<PipelineHandle>,
}

impl AppContext {
    /// The status now.
    pub fn view(&self) -> StatusView {
        StatusView::new(self.recorder.snapshot(), self.board.get())
    }
}

/// Runs the app until it quits.
pub fn run(args: Args) -> anyhow::Result<()> {
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            tracing::info!(?argv, "second launch: showing the status window");
            if argv.iter().any(|a| a == "--review") {
                return crate::viewer::show(app);
            }
            windows::show_status(app);
        }))
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        .invoke_handler(tauri::generate_handler![
            commands::get_status,
            commands::act,
            commands::enroll,
            crate::viewer::viewer_credentials,
            crate::viewer::viewer_sign_in,
            crate::viewer::viewer_sign_out
        ])
        .setup(move |app| {
            setup(app.handle(), &args);
            Ok(())
        })
        .build(tauri::generate_context!())?;
    app.run(|_app, event| match event {
        // A tray app lives on when its last window closes; only an explicit exit ends it.
        RunEvent::ExitRequested {
            code: None, api, ..
        } => api.prevent_exit(),
        RunEvent::Exit => tracing::info!("exiting"),
        _ => {}
    });
    Ok(())
}

fn setup(app: &AppHandle, args: &Args) {
    let mut initial = AgentStatus::initial(CaptureStatus {
        available: true,
        detail: "ready".to_owned(),
    });
    let Startup {
        data_dir,
        managed,
        local_api: api_config,
        autostart,
        policy,
        secrets,
        spool_key,
        target,
        managed_token,
        spool_quota_bytes,
    } = startup::load(&mut initial);
    crate::viewer::load(&secrets);
    let board = AgentStatusBoard::new(initial);

    let seed = recording_id_seed();
    let (recorder, owner) = recorder_task::prepare(Recorder::new(policy, seed));
    // The capture pipeline over the encrypted spool: it needs the spool key (keyring) and the
    // data directory; without them every capture start fails, honestly, as a capture problem.
    let pipeline = match (&spool_key, &data_dir) {
        (Some(key), Some(dir)) => {
            let config = PipelineConfig {
                spool_dir: dir.join("spool"),
                key: agentrec_capture::spool::SpoolKey::from_bytes(key.0),
                quota_bytes: spool_quota_bytes,
                timelines_dir: dir.join("timelines"),
            };
            match pipeline::start(config, recorder.clone(), board.clone()) {
                Ok((handle, task)) => {
                    tauri::async_runtime::spawn(task);
                    Some(handle)
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot open the spool: no capture");
                    board.update(|s| s.last_problem = Some(format!("cannot open the spool: {e}")));
                    None
                }
            }
        }
        _ => None,
    };
    let (capture, sink): (Box<dyn CaptureDriver>, Box<dyn RecordingSink>) = match &pipeline {
        Some(p) => {
            let status = board.get().capture;
            (Box::new(p.capture(status)), Box::new(p.sink()))
        }
        None => {
            board.update(|s| {
                s.capture = CaptureStatus {
                    available: false,
                    detail: format!("{CAPTURE_UNAVAILABLE}: no spool (keyring or data directory)"),
                }
            });
            (Box::new(UnavailableCapture), Box::new(NoUploader))
        }
    };
    let consumers = Consumers {
        capture,
        sink,
        ui: Box::new(TauriUi {
            app: app.clone(),
            board: board.clone(),
            notifier: Notifier::new(board.clone()),
        }),
    };
    tauri::async_runtime::spawn(owner.run(consumers));

    let enrollment_entered = Arc::new(tokio::sync::Notify::new());
    let context = Arc::new(AppContext {
        recorder: recorder.clone(),
        board: board.clone(),
        secrets,
        data_dir: data_dir.clone(),
        managed,
        enrollment_entered: enrollment_entered.clone(),
        pipeline: pipeline.clone(),
    });
    app.manage(context.clone());

    let view = context.view();
    let handle = recorder.clone();
    if let Err(e) = tray::create(app, &view, move |app, event| on_menu(app, &handle, event)) {
        tracing::error!(error = %e, "no tray icon");
    }
    tauri::async_runtime::spawn(broadcast_status(app.clone(), context.clone()));

    if let Some(pipeline) = pipeline.clone() {
        let ask_app = app.clone();
        let link = ServerLink {
            target,
            managed_token,
            data_dir: data_dir.clone(),
            recorder: recorder.clone(),
            board: board.clone(),
            pipeline,
            entered: enrollment_entered,
            ask_for_token: Box::new(move || {
                let app = ask_app.clone();
                let _ = ask_app.run_on_main_thread(move || windows::show_enroll(&app));
            }),
        };
        tauri::async_runtime::spawn(link.run());
    }

    if api_config.enabled {
        tauri::async_runtime::spawn(run_local_api(
            recorder.clone(),
            board.clone(),
            api_config,
            data_dir,
        ));
    }
    tauri::async_runtime::spawn(quit_on_signal(app.clone(), recorder, pipeline));

    if autostart {
        use tauri_plugin_autostart::ManagerExt;
        if let Err(e) = app.autolaunch().enable() {
            tracing::warn!(error = %e, "cannot register start at login");
        }
    }

    let status = board.get();
    if matches!(status.enrollment, EnrollmentStatus::NeedsInput) {
        windows::show_enroll(app);
    }
    if args.show_status || status.config_error.is_some() {
        windows::show_status(app);
    }
    if args.review {
        crate::viewer::show(app);
    }
}

/// Redraws the tray menu now (after a viewer sign-in or sign-out).
pub fn refresh_tray(app: &AppHandle) {
    let Some(context) = app.try_state::<Arc<AppContext>>() else {
        return;
    };
    let view = context.view();
    let tray_app = app.clone();
    let _ = app.run_on_main_thread(move || tray::update(&tray_app, &view, &mut None));
}

/// Seeds the Recorder's recording ids: OS randomness, or, if the OS has none, the clock and
/// the pid, so that two workstations never share an id sequence.
fn recording_id_seed() -> u64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_ok() {
        return u64::from_le_bytes(bytes);
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    (nanos as u64) ^ (u64::from(std::process::id()) << 32)
}

/// Pushes every status change to the windows and the tray.
async fn broadcast_status(app: AppHandle, context: Arc<AppContext>) {
    let mut recorder_rx = context.recorder.subscribe();
    let mut board_rx = context.board.subscribe();
    let mut last_tray: tray::Shown = None;
    loop {
        let view = context.view();
        if let Err(e) = app.emit(STATUS_EVENT, &view) {
            tracing::warn!(error = %e, "cannot send the status to the windows");
        }
        let tray_app = app.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let mut last = last_tray.take();
        // Menus are GTK/AppKit/Win32 objects: touch them on the main thread.
        let posted = app.run_on_main_thread(move || {
            tray::update(&tray_app, &view, &mut last);
            let _ = tx.send(last);
        });
        if posted.is_ok() {
            last_tray = rx.await.ok().flatten();
        }
        tokio::select! {
            changed = recorder_rx.changed() => if changed.is_err() { break },
            changed = board_rx.changed() => if changed.is_err() { break },
        }
        recorder_rx.mark_unchanged();
        board_rx.mark_unchanged();
    }
}

fn on_menu(app: &AppHandle, recorder: &RecorderHandle, event: MenuEvent) {
    let id = event.id().as_ref();
    if id == tray::SHOW_STATUS_ID {
        return windows::show_status(app);
    }
    if id == tray::REVIEW_ID {
        return crate::viewer::show(app);
    }
    if id == tray::QUIT_ID {
        let app = app.clone();
        let recorder = recorder.clone();
        let pipeline = app.state::<Arc<AppContext>>().pipeline.clone();
        tauri::async_runtime::spawn(async move { quit(&app, &recorder, pipeline.as_ref()).await });
        return;
    }
    let Some(action) = tray::action_of(id) else {
        return;
    };
    let recorder = recorder.clone();
    let board = app.state::<Arc<AppContext>>().board.clone();
    tauri::async_runtime::spawn(async move {
        // The menu only offers allowed actions, but the state may change between the menu
        // being drawn and the click: say why instead of failing silently.
        if let Err(e) = recorder.act(action, Duration::from_secs(2)).await {
            tracing::info!(?action, error = %e, "tray action not done");
            board.update(|s| s.last_problem = Some(format!("{}: {e}", tray::action_label(action))));
        }
    });
}

/// Ends the recording in progress (partial), waits (briefly) until capture has flushed and
/// the recording is finalized in the spool, and exits. Uploads resume at the next start.
async fn quit(app: &AppHandle, recorder: &RecorderHandle, pipeline: Option<&PipelineHandle>) {
    if let Err(e) = recorder
        .input(Input::Shutdown, Duration::from_secs(2))
        .await
    {
        tracing::warn!(error = %e, "recorder did not take the shutdown");
    }
    if let Some(p) = pipeline
        && !p.flush(Duration::from_secs(8)).await
    {
        tracing::warn!(
            "capture did not flush in time; the recording is recovered at the next start"
        );
    }
    app.exit(0);
}

async fn quit_on_signal(
    app: AppHandle,
    recorder: RecorderHandle,
    pipeline: Option<PipelineHandle>,
) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
    }
    #[cfg(not(unix))]
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    tracing::info!("asked to stop: ending the recording in progress");
    quit(&app, &recorder, pipeline.as_ref()).await;
}

async fn run_local_api(
    recorder: RecorderHandle,
    board: AgentStatusBoard,
    config: crate::config::LocalApiConfig,
    data_dir: Option<std::path::PathBuf>,
) {
    let fail = |board: &AgentStatusBoard, message: String| {
        tracing::error!("{message}");
        board.update(|s| s.last_problem = Some(message));
    };
    let token = match local_api::ApiToken::random() {
        Ok(t) => t,
        Err(e) => return fail(&board, format!("local API off: no randomness: {e}")),
    };
    let listener = match local_api::bind(config.port).await {
        Ok(l) => l,
        Err(e) => {
            return fail(
                &board,
                format!(
                    "local API off: cannot listen on 127.0.0.1:{}: {e}",
                    config.port
                ),
            );
        }
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => return fail(&board, format!("local API off: {e}")),
    };
    let Some(dir) = data_dir else {
        return fail(
            &board,
            "local API off: nowhere to write its token".to_owned(),
        );
    };
    match local_api::token_file::write(&dir, addr, &token) {
        Ok(path) => tracing::info!(%addr, token_file = %path.display(), "local API listening"),
        Err(e) => {
            return fail(
                &board,
                format!("local API off: cannot write its token: {e}"),
            );
        }
    }
    let state = local_api::ApiState {
        recorder,
        status: board.clone(),
        token,
        queue_timeout: local_api::QUEUE_TIMEOUT,
    };
    let router = local_api::app(state, &config.allowed_origins);
    if let Err(e) = local_api::serve(listener, router).await {
        fail(&board, format!("local API stopped: {e}"));
    }
}

/// The Tauri side of the Recorder's UI commands. Window work is posted to the main thread
/// so the owner task never waits on the UI.
struct TauriUi {
    app: AppHandle,
    board: AgentStatusBoard,
    notifier: Notifier,
}

impl TauriUi {
    fn on_main(&self, f: impl FnOnce(&AppHandle) + Send + 'static) {
        let app = self.app.clone();
        if let Err(e) = self.app.run_on_main_thread(move || f(&app)) {
            tracing::warn!(error = %e, "UI thread gone");
        }
    }
}

impl AgentUi for TauriUi {
    fn show(&mut self, effect: UiEffect) {
        match effect {
            UiEffect::ShowIndicator(_) => self.on_main(windows::show_indicator),
            UiEffect::HideIndicator => {
                self.board.update(|s| s.consent_notice = None);
                self.on_main(windows::hide_indicator);
            }
            UiEffect::Notify(notice) => {
                if let Notice::Consent { text } = &notice {
                    let text = text.clone();
                    self.board.update(|s| s.consent_notice = Some(text));
                }
                self.notifier.show(&notice);
            }
            UiEffect::Prompt(_) => self.on_main(windows::show_prompt),
            UiEffect::DismissPrompt(_) => self.on_main(windows::close_prompt),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Args;

    #[test]
    fn args_open_the_status_window_or_the_viewer_and_ignore_the_rest() {
        let parse = |a: &[&str]| Args::parse(a.iter().map(|s| (*s).to_owned()));
        let none = parse(&["--autostarted"]);
        assert!(!none.show_status && !none.review);
        assert!(parse(&["--show-status"]).show_status);
        let review = parse(&["--minimized", "--review"]);
        assert!(review.review && !review.show_status);
    }
}
