//! The tray icon: its picture shows the state at a glance, its menu offers exactly the actions
//! the Recorder allows now (refused actions never appear), plus "Show status".
//!
//! The menu is a pure [`menu_model`] of the status, rebuilt only when it changes; on Linux it
//! is exported over D-Bus (StatusNotifierItem + dbusmenu), which is what the tests read.

use agentrec_core::Action;
use agentrec_core::recorder::RecordingStatus;
use tauri::image::Image;
use tauri::menu::{IsMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Wry};

use crate::status::{StatusView, TrayState};

/// The tray icon's id.
pub const TRAY_ID: &str = "agentrec";
const ACTION_PREFIX: &str = "action:";
/// Menu id of "Show status".
pub const SHOW_STATUS_ID: &str = "show-status";
/// Menu id of "Quit" (offered only with no call, so quitting cannot dodge a recording).
pub const QUIT_ID: &str = "quit";
/// Menu id of "Review recordings…" (the supervisor viewer).
pub const REVIEW_ID: &str = "review-recordings";

/// One line of the tray menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuEntry {
    /// A disabled line saying the state.
    Header(String),
    /// A separator.
    Separator,
    /// A recording action the Recorder allows now.
    Action(Action),
    /// Opens the status window.
    ShowStatus,
    /// Opens the supervisor viewer (for users signed in to it).
    ReviewRecordings,
    /// Quits the app.
    Quit,
}

/// The menu label of an action, worded like the desktop clients agents know.
pub fn action_label(action: Action) -> &'static str {
    match action {
        Action::Start => "Start Recording",
        Action::Pause => "Pause Recording",
        Action::Resume => "Resume Recording",
        Action::Stop => "Stop Recording",
        Action::AcceptPrompt => "Start recording this session",
        Action::DeclinePrompt => "Don't record this session",
    }
}

/// The menu for a status.
pub fn menu_model(view: &StatusView) -> Vec<MenuEntry> {
    let mut entries = vec![MenuEntry::Header(header(view)), MenuEntry::Separator];
    let actions: Vec<Action> = view.recorder.allowed.iter().collect();
    if !actions.is_empty() {
        entries.extend(actions.into_iter().map(MenuEntry::Action));
        entries.push(MenuEntry::Separator);
    }
    entries.push(MenuEntry::ShowStatus);
    if view.recorder.call.is_none() {
        entries.push(MenuEntry::Quit);
    }
    entries
}

/// "agentrec — Recording", with the problem when there is one.
pub fn header(view: &StatusView) -> String {
    let status = match view.recorder.status {
        RecordingStatus::Idle => "No call",
        RecordingStatus::NotRecorded { .. } => "Call not recorded",
        RecordingStatus::Waiting => "Not recording",
        RecordingStatus::Recording => "Recording",
        RecordingStatus::Paused => "Paused",
        RecordingStatus::Stopped => "Stopped",
        RecordingStatus::Ended => "Recording ended",
    };
    if view.needs_attention {
        format!("agentrec — {status} (problem: see status)")
    } else {
        format!("agentrec — {status}")
    }
}

/// The action a menu id stands for.
pub fn action_of(id: &str) -> Option<Action> {
    let name = id.strip_prefix(ACTION_PREFIX)?;
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

fn action_id(action: Action) -> String {
    let name = serde_json::to_value(action)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    format!("{ACTION_PREFIX}{name}")
}

/// A round 32×32 icon in the state's colour (RGBA), drawn here so no asset can go missing;
/// `attention` adds a white-ringed orange dot in the bottom-right corner.
pub fn icon_rgba(state: TrayState, attention: bool) -> Vec<u8> {
    let (r, g, b) = match state {
        TrayState::Idle => (0x8a, 0x8a, 0x90),
        TrayState::Recording => (0xd9, 0x2d, 0x20),
        TrayState::Paused => (0xf5, 0xb7, 0x00),
        TrayState::Uploading => (0x2e, 0x90, 0xfa),
        TrayState::Error => (0x7a, 0x27, 0x1a),
    };
    const SIZE: i32 = 32;
    let mut rgba = Vec::with_capacity((SIZE * SIZE * 4) as usize);
    for y in 0..SIZE {
        for x in 0..SIZE {
            let (dx, dy) = (x * 2 - SIZE + 1, y * 2 - SIZE + 1);
            let d2 = dx * dx + dy * dy;
            let inside = d2 <= (SIZE - 2) * (SIZE - 2);
            // Paused gets two light bars, errors a light bar, so the state is not colour-only.
            let mark = match state {
                TrayState::Paused => (10..14).contains(&x) || (18..22).contains(&x),
                TrayState::Error => (14..18).contains(&x) && (8..20).contains(&y),
                _ => false,
            } && (9..23).contains(&y);
            // The attention dot: centre (25, 25), radius 6 with a 1.5 px white ring.
            let (ax, ay) = (x * 2 - 50 + 1, y * 2 - 50 + 1);
            let a2 = ax * ax + ay * ay;
            let dot = attention && state != TrayState::Error && a2 <= 14 * 14;
            let ring = dot && a2 > 10 * 10;
            let (pr, pg, pb) = if ring || mark {
                (0xff, 0xff, 0xff)
            } else if dot {
                (0xf7, 0x90, 0x09)
            } else {
                (r, g, b)
            };
            let alpha = if inside || dot { 0xff } else { 0 };
            rgba.extend_from_slice(&[pr, pg, pb, alpha]);
        }
    }
    rgba
}

/// Creates the tray icon for `view`; menu clicks go to `on_menu`.
pub fn create(
    app: &AppHandle,
    view: &StatusView,
    on_menu: impl Fn(&AppHandle, MenuEvent) + Send + Sync + 'static,
) -> tauri::Result<TrayIcon> {
    let menu = build_menu(
        app,
        &with_review(menu_model(view), crate::viewer::signed_in()),
    )?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(Image::new_owned(
            icon_rgba(view.tray_state, view.needs_attention),
            32,
            32,
        ))
        .tooltip(header(view))
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(on_menu)
        .build(app)
}

/// What the tray last showed: icon state, attention mark, menu.
pub type Shown = Option<((TrayState, bool), Vec<MenuEntry>)>;

/// Brings the tray up to date with `view`; `last` remembers what was shown to skip no-ops.
pub fn update(app: &AppHandle, view: &StatusView, last: &mut Shown) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let model = with_review(menu_model(view), crate::viewer::signed_in());
    let icon_state = (view.tray_state, view.needs_attention);
    let (state_changed, menu_changed) = match last {
        Some((state, entries)) => (*state != icon_state, *entries != model),
        None => (true, true),
    };
    if state_changed {
        let icon = Image::new_owned(icon_rgba(view.tray_state, view.needs_attention), 32, 32);
        if let Err(e) = tray.set_icon(Some(icon)) {
            tracing::warn!(error = %e, "cannot set the tray icon");
        }
    }
    if menu_changed {
        let _ = tray.set_tooltip(Some(header(view)));
        match build_menu(app, &model) {
            Ok(menu) => {
                if let Err(e) = tray.set_menu(Some(menu)) {
                    tracing::warn!(error = %e, "cannot set the tray menu");
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot build the tray menu"),
        }
    }
    *last = Some((icon_state, model));
}

/// Adds "Review recordings…" after "Show status" for users signed in to the viewer.
pub fn with_review(mut model: Vec<MenuEntry>, signed_in: bool) -> Vec<MenuEntry> {
    if signed_in && let Some(at) = model.iter().position(|e| *e == MenuEntry::ShowStatus) {
        model.insert(at + 1, MenuEntry::ReviewRecordings);
    }
    model
}

fn build_menu(app: &AppHandle, model: &[MenuEntry]) -> tauri::Result<Menu<Wry>> {
    let mut items: Vec<Box<dyn IsMenuItem<Wry>>> = Vec::with_capacity(model.len());
    for (i, entry) in model.iter().enumerate() {
        let item: Box<dyn IsMenuItem<Wry>> = match entry {
            MenuEntry::Header(text) => Box::new(MenuItem::with_id(
                app,
                format!("header-{i}"),
                text,
                false,
                None::<&str>,
            )?),
            MenuEntry::Separator => Box::new(PredefinedMenuItem::separator(app)?),
            MenuEntry::Action(a) => Box::new(MenuItem::with_id(
                app,
                action_id(*a),
                action_label(*a),
                true,
                None::<&str>,
            )?),
            MenuEntry::ShowStatus => Box::new(MenuItem::with_id(
                app,
                SHOW_STATUS_ID,
                "Show status…",
                true,
                None::<&str>,
            )?),
            MenuEntry::ReviewRecordings => Box::new(MenuItem::with_id(
                app,
                REVIEW_ID,
                "Review recordings…",
                true,
                None::<&str>,
            )?),
            MenuEntry::Quit => Box::new(MenuItem::with_id(
                app,
                QUIT_ID,
                "Quit agentrec",
                true,
                None::<&str>,
            )?),
        };
        items.push(item);
    }
    let refs: Vec<&dyn IsMenuItem<Wry>> = items.iter().map(|b| b.as_ref()).collect();
    Menu::with_items(app, &refs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{AgentStatus, CaptureStatus};
    use agentrec_core::call::Answered;
    use agentrec_core::{CallEvent, Input, Policy, Recorder, RecordingMode};
    use std::time::Instant;

    fn view_in_call(mode: RecordingMode) -> StatusView {
        let mut r = Recorder::new(
            Policy {
                mode,
                ..Policy::default()
            },
            1,
        );
        r.handle(
            Input::Call(CallEvent::Answered(Answered {
                call_id: "c".into(),
                kind: Default::default(),
                acd: true,
                queue: None,
                direction: Default::default(),
            })),
            Instant::now(),
        );
        StatusView::new(
            r.state(),
            AgentStatus::initial(CaptureStatus {
                available: true,
                detail: String::new(),
            }),
        )
    }

    fn actions(model: &[MenuEntry]) -> Vec<Action> {
        model
            .iter()
            .filter_map(|e| match e {
                MenuEntry::Action(a) => Some(*a),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn menu_offers_exactly_the_allowed_actions_per_mode() {
        let cases = [
            (RecordingMode::AlwaysOn, vec![]),
            (RecordingMode::PauseResume, vec![Action::Pause]),
            (RecordingMode::OnDemand, vec![Action::Start]),
            (RecordingMode::OnDemandUis, vec![Action::Start]),
        ];
        for (mode, expected) in cases {
            let model = menu_model(&view_in_call(mode));
            assert_eq!(actions(&model), expected, "{mode}");
            assert!(!model.contains(&MenuEntry::Quit), "no quitting mid-call");
        }
    }

    #[test]
    fn review_recordings_follows_show_status_only_once_signed_in_to_the_viewer() {
        let model = menu_model(&view_in_call(RecordingMode::PauseResume));
        assert_eq!(with_review(model.clone(), false), model);
        let with = with_review(model.clone(), true);
        assert_eq!(with.len(), model.len() + 1);
        let at = with
            .iter()
            .position(|e| *e == MenuEntry::ShowStatus)
            .expect("show status");
        assert_eq!(with[at + 1], MenuEntry::ReviewRecordings);
        assert_eq!(actions(&with), vec![Action::Pause], "actions unchanged");
    }

    #[test]
    fn ids_round_trip_and_junk_is_no_action() {
        for a in Action::ALL {
            assert_eq!(action_of(&action_id(a)), Some(a));
        }
        assert_eq!(action_of("action:explode"), None);
        assert_eq!(action_of(SHOW_STATUS_ID), None);
    }

    #[test]
    fn icons_differ_per_state() {
        let states = [
            TrayState::Idle,
            TrayState::Recording,
            TrayState::Paused,
            TrayState::Uploading,
            TrayState::Error,
        ];
        for (i, a) in states.iter().enumerate() {
            assert_eq!(icon_rgba(*a, false).len(), 32 * 32 * 4);
            for b in &states[i + 1..] {
                assert_ne!(icon_rgba(*a, false), icon_rgba(*b, false), "{a:?} vs {b:?}");
            }
        }
        assert_ne!(
            icon_rgba(TrayState::Recording, true),
            icon_rgba(TrayState::Recording, false),
            "the attention mark shows"
        );
        // The centre keeps the state's colour with or without the mark.
        let centre = (16 * 32 + 16) * 4;
        assert_eq!(
            icon_rgba(TrayState::Recording, true)[centre..centre + 4],
            [0xd9, 0x2d, 0x20, 0xff]
        );
    }
}
