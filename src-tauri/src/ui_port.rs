//! The seam to what the agent sees: indicator, notifications, the live-session prompt.
//! The Tauri shell implements [`AgentUi`]; the owner task's tests record the effects.

use agentrec_core::CallId;
use agentrec_core::recorder::{Indicator, Notice};

/// A Recorder command for the agent's eyes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UiEffect {
    /// Show the always-visible indicator in this state.
    ShowIndicator(Indicator),
    /// Hide the indicator.
    HideIndicator,
    /// A desktop notification (and, for consent, the status window's banner).
    Notify(Notice),
    /// Ask "Start recording this session?".
    Prompt(CallId),
    /// Close the prompt.
    DismissPrompt(CallId),
}

/// Carries out UI effects. Runs on the owner task: must not block (post to the UI thread).
pub trait AgentUi: Send + 'static {
    /// Shows one effect.
    fn show(&mut self, effect: UiEffect);
}
