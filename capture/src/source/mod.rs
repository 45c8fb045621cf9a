//! Where frames and samples come from: the [`ScreenSource`] and [`AudioSource`] traits, the
//! frame types they deliver, and [`open_default`], the one place that picks the OS backend.
//!
//! Backends, one folder per OS: [`linux`] (X11 with MIT-SHM, RandR, XDamage; audio through
//! cpal's PulseAudio host), `windows` (windows-capture, WASAPI through cpal), `macos`
//! (ScreenCaptureKit through scap, microphone through cpal). [`synthetic`] is a deterministic
//! test pattern (feature `synthetic`) for tests and the benchmark.

use std::time::Instant;

use agentrec_core::MonitorId;
use agentrec_core::media::DesktopRect;

use crate::error::SourceError;

#[cfg(target_os = "linux")]
pub mod linux;
#[cfg(target_os = "macos")]
pub mod macos;
#[cfg(feature = "synthetic")]
pub mod synthetic;
#[cfg(target_os = "windows")]
pub mod windows;

/// A monitor as a screen source sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorInfo {
    /// The backend's name for it (RandR monitor name, display device, display id).
    pub id: MonitorId,
    /// Its place on the desktop, in pixels.
    pub rect: DesktopRect,
    /// Whether it is the primary monitor.
    pub primary: bool,
}

/// One captured frame: 8-bit B, G, R, X per pixel, rows `stride` bytes apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BgrxFrame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bytes per row.
    pub stride: usize,
    /// The pixels.
    pub data: Vec<u8>,
}

impl BgrxFrame {
    /// Resizes the frame for `width`×`height` with a tight stride, reusing its buffer.
    pub fn reshape(&mut self, width: u32, height: u32) {
        self.width = width;
        self.height = height;
        self.stride = width as usize * 4;
        self.data.resize(self.stride * height as usize, 0);
    }
}

/// How much of a monitor changed since the last poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// The monitor.
    pub monitor: MonitorId,
    /// Changed pixels (the sum of damaged rectangle areas, clipped to the monitor; may
    /// overcount overlaps). A backend that cannot tell reports the monitor's whole area.
    pub pixels: u64,
}

/// A source of screen frames for several monitors.
///
/// Used from one capture thread: `poll_damage` every tick, `capture` for the monitors worth
/// encoding. Implementations must make an unchanged monitor cost (close to) nothing.
pub trait ScreenSource: Send {
    /// The monitors connected now.
    fn monitors(&mut self) -> Result<Vec<MonitorInfo>, SourceError>;

    /// Which monitors changed since the previous call (the first call reports all).
    fn poll_damage(&mut self) -> Result<Vec<Damage>, SourceError>;

    /// Captures a monitor's current content into `frame` (resized as needed).
    fn capture(&mut self, monitor: &MonitorInfo, frame: &mut BgrxFrame) -> Result<(), SourceError>;
}

/// Which side of the call an audio source carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioSide {
    /// The agent's microphone: left channel.
    Microphone,
    /// What the agent hears (system output / loopback): right channel.
    System,
}

/// A block of mono samples from one side, at 48 kHz.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioChunk {
    /// Which side.
    pub side: AudioSide,
    /// When the first sample was captured (the backend's best estimate).
    pub captured_at: Instant,
    /// Mono samples in −1.0..=1.0.
    pub samples: Vec<f32>,
}

/// The sample rate every audio source delivers.
pub const AUDIO_RATE: u32 = 48_000;

/// A source of one side's audio. It runs on its own thread (audio APIs deliver from theirs)
/// and sends mono chunks into a bounded channel; when the channel is full, chunks are
/// dropped (and counted) rather than blocking the audio thread.
pub trait AudioSource: Send {
    /// Which side it is.
    fn side(&self) -> AudioSide;
    /// Starts delivering into `out`.
    fn start(&mut self, out: flume::Sender<AudioChunk>) -> Result<(), SourceError>;
    /// Stops delivering; the source can be started again.
    fn stop(&mut self);
    /// Chunks dropped because the channel was full.
    fn dropped_chunks(&self) -> u64 {
        0
    }
    /// A failure the stream reported since the last call (device lost, …).
    fn poll_error(&mut self) -> Option<SourceError> {
        None
    }
}

/// Which audio devices to record; `None` means the OS default for that side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AudioDevices {
    /// The microphone (an input device name).
    pub microphone: Option<String>,
    /// The system output to record (an output device, or its monitor/loopback source).
    pub system: Option<String>,
}

/// The OS's real backends.
#[derive(Debug, Clone, Copy)]
pub struct Backends;

impl Backends {
    /// The screen source of this OS (on Linux: the X server in `$DISPLAY`).
    pub fn screen() -> Result<Box<dyn ScreenSource>, SourceError> {
        #[cfg(target_os = "linux")]
        return Ok(Box::new(linux::X11Screen::connect(None)?));
        #[cfg(target_os = "windows")]
        return Ok(Box::new(windows::WindowsScreen::new()?));
        #[cfg(target_os = "macos")]
        return Ok(Box::new(macos::MacScreen::new()?));
        #[allow(unreachable_code)]
        Err(SourceError::Unsupported("screen capture on this OS".into()))
    }

    /// The audio source for one side on this OS.
    pub fn audio(
        side: AudioSide,
        device: Option<String>,
    ) -> Result<Box<dyn AudioSource>, SourceError> {
        #[cfg(target_os = "linux")]
        return Ok(Box::new(linux::audio_source(side, device)?));
        #[cfg(target_os = "windows")]
        return Ok(Box::new(windows::audio_source(side, device)?));
        #[cfg(target_os = "macos")]
        return macos::audio_source(side, device);
        #[allow(unreachable_code)]
        {
            let _ = (side, device);
            Err(SourceError::Unsupported("audio capture on this OS".into()))
        }
    }
}

/// Makes the allocator give large freed blocks back to the OS at once (rav1e allocates and
/// frees several MB per frame; with glibc's defaults they pile up in per-thread arenas and
/// the resident set grows by ~30 % per encoder). Process-wide; idempotent.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    linux::tune_allocator();
}

/// Returns freed heap memory to the OS (after an encoder is dropped), where the allocator
/// can.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    linux::release_free_memory();
}

/// Lowers the calling thread's scheduling priority (encoder threads), so that the softphone
/// and CRM next to the recorder keep the CPU when they need it.
pub fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    linux::lower_thread_priority();
}
