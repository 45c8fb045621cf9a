//! macOS backend (thin adapter; cannot be compiled on the Linux CI): screens and the system
//! audio through ScreenCaptureKit via `scap`, the microphone through cpal's CoreAudio host.
//! `scap` is a macOS-only dependency: its Linux side needs a desktop portal.

use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use agentrec_core::MonitorId;
use agentrec_core::media::DesktopRect;
use scap::Target;
use scap::capturer::{Capturer, Options};
use scap::frame::{Frame, VideoFrame};

use crate::audio::cpal_input::{CpalInput, DeviceChoice};
use crate::error::SourceError;
use crate::source::{
    AudioChunk, AudioSide, AudioSource, BgrxFrame, Damage, MonitorInfo, ScreenSource,
};

fn permission() -> Result<(), SourceError> {
    if !scap::is_supported() {
        return Err(SourceError::Unsupported(
            "ScreenCaptureKit needs macOS 12.3".into(),
        ));
    }
    if !scap::has_permission() {
        return Err(SourceError::PermissionDenied("Screen Recording".into()));
    }
    Ok(())
}

/// Screen capture through ScreenCaptureKit: one capturer per monitor; SCK delivers frames
/// only when the display changed.
pub struct MacScreen {
    displays: Vec<(MonitorInfo, scap::Display)>,
    capturers: Vec<(MonitorId, Capturer, Option<BgrxFrame>)>,
}

impl std::fmt::Debug for MacScreen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MacScreen").finish_non_exhaustive()
    }
}

impl MacScreen {
    /// Checks the Screen Recording permission and lists the displays.
    pub fn new() -> Result<MacScreen, SourceError> {
        permission()?;
        let mut s = MacScreen {
            displays: Vec::new(),
            capturers: Vec::new(),
        };
        s.monitors()?;
        Ok(s)
    }
}

impl ScreenSource for MacScreen {
    fn monitors(&mut self) -> Result<Vec<MonitorInfo>, SourceError> {
        self.displays = scap::get_all_targets()
            .into_iter()
            .filter_map(|t| match t {
                Target::Display(d) => Some(d),
                _ => None,
            })
            .enumerate()
            .map(|(i, d)| {
                let info = MonitorInfo {
                    id: MonitorId(format!("display-{}", d.id)),
                    rect: DesktopRect {
                        x: 0,
                        y: 0,
                        width: 0,
                        height: 0,
                    },
                    primary: i == 0,
                };
                (info, d)
            })
            .collect();
        Ok(self.displays.iter().map(|(i, _)| i.clone()).collect())
    }

    fn poll_damage(&mut self) -> Result<Vec<Damage>, SourceError> {
        for (info, display) in &self.displays {
            if self.capturers.iter().any(|(id, _, _)| *id == info.id) {
                continue;
            }
            let mut capturer = Capturer::build(Options {
                fps: 30,
                target: Some(Target::Display(display.clone())),
                show_cursor: true,
                output_type: scap::frame::FrameType::BGRAFrame,
                ..Options::default()
            })
            .map_err(|e| SourceError::Backend(e.to_string()))?;
            capturer.start_capture();
            self.capturers.push((info.id.clone(), capturer, None));
        }
        let mut out = Vec::new();
        for (id, capturer, latest) in &mut self.capturers {
            // Keep only the newest frame SCK queued since the last poll.
            while let Ok(frame) = capturer.raw().get_next_frame_timeout(Duration::ZERO) {
                if let Frame::Video(VideoFrame::BGRA(f)) = frame {
                    let mut bgrx = BgrxFrame::default();
                    bgrx.reshape(f.width as u32, f.height as u32);
                    bgrx.data.copy_from_slice(&f.data);
                    out.push(Damage {
                        monitor: id.clone(),
                        pixels: bgrx.data.len() as u64 / 4,
                    });
                    *latest = Some(bgrx);
                }
            }
        }
        Ok(out)
    }

    fn capture(&mut self, monitor: &MonitorInfo, frame: &mut BgrxFrame) -> Result<(), SourceError> {
        let latest = self
            .capturers
            .iter()
            .find(|(id, _, _)| *id == monitor.id)
            .and_then(|(_, _, f)| f.as_ref())
            .ok_or_else(|| SourceError::MonitorGone(monitor.id.clone()))?;
        frame.clone_from(latest);
        Ok(())
    }
}

/// System audio through ScreenCaptureKit's audio capture.
#[derive(Default)]
pub struct MacSystemAudio {
    capturer: Option<Capturer>,
}

impl std::fmt::Debug for MacSystemAudio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MacSystemAudio").finish_non_exhaustive()
    }
}

impl AudioSource for MacSystemAudio {
    fn side(&self) -> AudioSide {
        AudioSide::System
    }

    fn start(&mut self, out: flume::Sender<AudioChunk>) -> Result<(), SourceError> {
        permission()?;
        let mut capturer = Capturer::build(Options {
            captures_audio: true,
            ..Options::default()
        })
        .map_err(|e| SourceError::Backend(e.to_string()))?;
        capturer.start_capture();
        let rx = capturer.raw().clone_audio_receiver();
        std::thread::spawn(move || {
            loop {
                match rx.recv_timeout(Duration::from_secs(1)) {
                    Ok(Frame::Audio(a)) => {
                        let samples = a.as_f32_mono();
                        let _ = out.try_send(AudioChunk {
                            side: AudioSide::System,
                            captured_at: Instant::now(),
                            samples,
                        });
                    }
                    Ok(_) => {}
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
        });
        self.capturer = Some(capturer);
        Ok(())
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.capturer.take() {
            c.stop_capture();
        }
    }
}

/// The audio source for one side on macOS.
pub fn audio_source(
    side: AudioSide,
    device: Option<String>,
) -> Result<Box<dyn AudioSource>, SourceError> {
    match (side, device) {
        (AudioSide::System, None) => Ok(Box::new(MacSystemAudio::default())),
        (side, Some(name)) => Ok(Box::new(CpalInput::new(
            side,
            cpal::HostId::CoreAudio,
            DeviceChoice::Named(name),
        ))),
        (side, None) => Ok(Box::new(CpalInput::new(
            side,
            cpal::HostId::CoreAudio,
            DeviceChoice::DefaultInput,
        ))),
    }
}
