//! Opening the OS's capture backends for a session, as the policy asks (monitors always; the
//! microphone and system audio sides each when the policy records them).

use agentrec_capture::error::SourceError;
use agentrec_capture::source::{AudioSide, AudioSource, Backends, MonitorInfo, ScreenSource};
use agentrec_core::policy::CapturePolicy;
use agentrec_core::recorder::Source;

/// The audio sides the policy records, as Recorder sources.
pub(super) fn audio_sources(settings: &CapturePolicy) -> Vec<Source> {
    let mut out = Vec::new();
    if settings.audio.microphone {
        out.push(Source::Microphone);
    }
    if settings.audio.system {
        out.push(Source::System);
    }
    out
}

/// A failed source (`None`: the screen as a whole) and why.
pub(super) type Failure = (Option<Source>, String);

/// What [`open`] opened, and what it could not.
pub(super) struct Opened {
    /// The screen (all monitors), or why there is none.
    pub screen: Result<Box<dyn ScreenSource>, SourceError>,
    /// The audio sides that opened.
    pub audio: Vec<Box<dyn AudioSource>>,
    /// The audio sides that did not.
    pub failures: Vec<Failure>,
}

/// Opens the screen and the audio sides; an audio side that cannot open is a failure of that
/// source only (the rest records).
pub(super) fn open(settings: &CapturePolicy) -> Opened {
    let screen = Backends::screen();
    let mut audio = Vec::new();
    let mut failures = Vec::new();
    for (side, source) in [
        (AudioSide::Microphone, Source::Microphone),
        (AudioSide::System, Source::System),
    ] {
        let wanted = match side {
            AudioSide::Microphone => settings.audio.microphone,
            AudioSide::System => settings.audio.system,
        };
        if !wanted {
            continue;
        }
        match Backends::audio(side, None) {
            Ok(s) => audio.push(s),
            Err(e) => failures.push((Some(source), e.to_string())),
        }
    }
    Opened {
        screen,
        audio,
        failures,
    }
}

/// The monitors connected now.
pub(super) fn list_monitors() -> Result<Vec<MonitorInfo>, SourceError> {
    Backends::screen()?.monitors()
}
