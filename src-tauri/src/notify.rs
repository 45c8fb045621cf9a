//! Desktop notifications for the Recorder's notices (notify-rust: the freedesktop
//! notification service on Linux, toast on Windows, Notification Center on macOS).

use agentrec_core::recorder::{EndReason, Notice, Source};

use crate::status::AgentStatusBoard;

/// Title and body of the notification for `notice`.
pub fn notice_text(notice: &Notice) -> (String, String) {
    let (title, body): (&str, String) = match notice {
        Notice::Consent { text } => ("This call is being recorded", text.clone()),
        Notice::Started => (
            "Recording started",
            "Your screens and the call audio are being recorded.".to_owned(),
        ),
        Notice::Paused => (
            "Recording paused",
            "Nothing is recorded until you resume.".to_owned(),
        ),
        Notice::Resumed => ("Recording resumed", "Recording again.".to_owned()),
        Notice::Stopped => (
            "Recording stopped",
            "You can start recording again from the tray.".to_owned(),
        ),
        Notice::Ended { reason } => ("Recording ended", end_reason_text(*reason).to_owned()),
        Notice::CaptureProblem { source, error } => {
            return (
                format!("Recording problem: {}", source_label(source)),
                format!("{error}. The other sources keep recording."),
            );
        }
        Notice::CaptureRecovered { source } => {
            return (
                format!("Recording again: {}", source_label(source)),
                "The source works again.".to_owned(),
            );
        }
    };
    (title.to_owned(), body)
}

/// A source as people name it.
pub fn source_label(source: &Source) -> String {
    match source {
        Source::Monitor(m) => format!("monitor {m}"),
        Source::Microphone => "microphone".to_owned(),
        Source::System => "system audio".to_owned(),
    }
}

fn end_reason_text(reason: EndReason) -> &'static str {
    match reason {
        EndReason::CallEnded => "The call ended.",
        EndReason::WrapUpCompleted => "Wrap-up was completed.",
        EndReason::WrapUpCapReached => "The wrap-up recording limit was reached.",
        EndReason::Transferred => "The call was transferred.",
        EndReason::NextCall => "A new call was answered.",
        EndReason::MaxLengthReached => "The maximum recording length was reached.",
        EndReason::HostLeftTimeout => "The host left the session.",
        EndReason::Shutdown => "The app was shut down; the recording is kept as partial.",
        EndReason::Interrupted => "The app stopped unexpectedly; the recording is kept as partial.",
    }
}

/// Shows notifications off the caller's thread; a failure (no notification service) is logged
/// and shown in the status window, never fatal.
#[derive(Debug, Clone)]
pub struct Notifier {
    board: AgentStatusBoard,
}

impl Notifier {
    /// A notifier reporting failures on `board`.
    pub fn new(board: AgentStatusBoard) -> Self {
        Notifier { board }
    }

    /// Shows `notice`.
    pub fn show(&self, notice: &Notice) {
        let (title, body) = notice_text(notice);
        let board = self.board.clone();
        tauri::async_runtime::spawn_blocking(move || {
            let result = notify_rust::Notification::new()
                .appname("agentrec")
                .summary(&title)
                .body(&body)
                .show();
            if let Err(e) = result {
                tracing::warn!(%title, error = %e, "cannot show a notification");
                board.update(|s| {
                    s.last_problem = Some(format!("notifications cannot be shown: {e}"));
                });
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_uses_the_policy_text() {
        let (title, body) = notice_text(&Notice::Consent {
            text: "We record for training.".into(),
        });
        assert_eq!(title, "This call is being recorded");
        assert_eq!(body, "We record for training.");
    }

    #[test]
    fn capture_problems_name_the_source() {
        let (title, body) = notice_text(&Notice::CaptureProblem {
            source: Source::Monitor("DP-1".into()),
            error: "monitor gone".into(),
        });
        assert_eq!(title, "Recording problem: monitor DP-1");
        assert!(body.starts_with("monitor gone."));
    }

    #[test]
    fn every_notice_has_a_title() {
        for n in [
            Notice::Started,
            Notice::Paused,
            Notice::Resumed,
            Notice::Stopped,
            Notice::Ended {
                reason: EndReason::Shutdown,
            },
        ] {
            let (title, body) = notice_text(&n);
            assert!(!title.is_empty() && !body.is_empty(), "{n:?}");
        }
    }
}
