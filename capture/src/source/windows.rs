//! Windows backend (thin adapter; cannot be compiled on the Linux CI): screens through
//! `windows-capture` (Windows Graphics Capture, which delivers a frame only when a monitor
//! changed — our damage signal), audio through cpal's WASAPI host (microphone; the default
//! output opened as an input is WASAPI loopback = what the agent hears).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use agentrec_core::MonitorId;
use agentrec_core::media::DesktopRect;
use windows_capture::capture::{CaptureControl, Context, GraphicsCaptureApiHandler};
use windows_capture::frame::Frame;
use windows_capture::graphics_capture_api::InternalCaptureControl;
use windows_capture::monitor::Monitor;
use windows_capture::settings::{
    ColorFormat, CursorCaptureSettings, DirtyRegionSettings, DrawBorderSettings,
    MinimumUpdateIntervalSettings, SecondaryWindowSettings, Settings,
};

use crate::audio::cpal_input::{CpalInput, DeviceChoice};
use crate::error::SourceError;
use crate::source::{AudioSide, BgrxFrame, Damage, MonitorInfo, ScreenSource};

/// The latest frame of each monitor, written by the capture callbacks.
type Latest = Arc<Mutex<HashMap<MonitorId, (BgrxFrame, bool)>>>;

struct Handler {
    id: MonitorId,
    latest: Latest,
}

impl GraphicsCaptureApiHandler for Handler {
    type Flags = (MonitorId, Latest);
    type Error = SourceError;

    fn new(ctx: Context<Self::Flags>) -> Result<Self, Self::Error> {
        Ok(Handler {
            id: ctx.flags.0,
            latest: ctx.flags.1,
        })
    }

    fn on_frame_arrived(
        &mut self,
        frame: &mut Frame,
        _control: InternalCaptureControl,
    ) -> Result<(), Self::Error> {
        let (w, h) = (frame.width(), frame.height());
        let mut buffer = frame
            .buffer()
            .map_err(|e| SourceError::Backend(e.to_string()))?;
        let pixels = buffer
            .as_nopadding_buffer()
            .map_err(|e| SourceError::Backend(e.to_string()))?;
        if let Ok(mut latest) = self.latest.lock() {
            let entry = latest.entry(self.id.clone()).or_default();
            entry.0.reshape(w, h);
            entry.0.data.copy_from_slice(pixels);
            entry.1 = true;
        }
        Ok(())
    }
}

/// Screen capture through Windows Graphics Capture.
pub struct WindowsScreen {
    monitors: Vec<(MonitorInfo, Monitor)>,
    sessions: HashMap<MonitorId, CaptureControl<Handler, SourceError>>,
    latest: Latest,
}

impl std::fmt::Debug for WindowsScreen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WindowsScreen").finish_non_exhaustive()
    }
}

fn backend(e: impl std::fmt::Display) -> SourceError {
    SourceError::Backend(format!("windows-capture: {e}"))
}

impl WindowsScreen {
    /// Enumerates the monitors.
    pub fn new() -> Result<WindowsScreen, SourceError> {
        let mut screen = WindowsScreen {
            monitors: Vec::new(),
            sessions: HashMap::new(),
            latest: Arc::default(),
        };
        screen.monitors()?;
        Ok(screen)
    }

    fn ensure_session(&mut self, info: &MonitorInfo, monitor: Monitor) -> Result<(), SourceError> {
        if self.sessions.contains_key(&info.id) {
            return Ok(());
        }
        let settings = Settings::new(
            monitor,
            CursorCaptureSettings::WithCursor,
            DrawBorderSettings::WithoutBorder,
            SecondaryWindowSettings::Default,
            MinimumUpdateIntervalSettings::Default,
            DirtyRegionSettings::Default,
            ColorFormat::Bgra8,
            (info.id.clone(), Arc::clone(&self.latest)),
        );
        let control = Handler::start_free_threaded(settings).map_err(backend)?;
        self.sessions.insert(info.id.clone(), control);
        Ok(())
    }
}

impl ScreenSource for WindowsScreen {
    fn monitors(&mut self) -> Result<Vec<MonitorInfo>, SourceError> {
        let primary = Monitor::primary().ok();
        self.monitors = Monitor::enumerate()
            .map_err(backend)?
            .into_iter()
            .filter_map(|m| {
                let name = m.device_name().ok()?;
                let (width, height) = (m.width().ok()?, m.height().ok()?);
                let info = MonitorInfo {
                    id: MonitorId(name),
                    // windows-capture exposes no desktop origin; tracks keep their order.
                    rect: DesktopRect {
                        x: 0,
                        y: 0,
                        width,
                        height,
                    },
                    primary: primary.is_some_and(|p| p == m),
                };
                Some((info, m))
            })
            .collect();
        Ok(self.monitors.iter().map(|(i, _)| i.clone()).collect())
    }

    fn poll_damage(&mut self) -> Result<Vec<Damage>, SourceError> {
        let monitors = self.monitors.clone();
        for (info, monitor) in monitors {
            self.ensure_session(&info, monitor)?;
        }
        let latest = self.latest.lock().map_err(backend)?;
        Ok(latest
            .iter()
            .filter(|(_, (_, fresh))| *fresh)
            .map(|(id, (f, _))| Damage {
                monitor: id.clone(),
                pixels: u64::from(f.width) * u64::from(f.height),
            })
            .collect())
    }

    fn capture(&mut self, monitor: &MonitorInfo, frame: &mut BgrxFrame) -> Result<(), SourceError> {
        let mut latest = self.latest.lock().map_err(backend)?;
        let (last, fresh) = latest
            .get_mut(&monitor.id)
            .ok_or_else(|| SourceError::MonitorGone(monitor.id.clone()))?;
        frame.clone_from(last);
        *fresh = false;
        Ok(())
    }
}

/// The audio source for one side through WASAPI.
pub fn audio_source(side: AudioSide, device: Option<String>) -> Result<CpalInput, SourceError> {
    let choice = match (side, device) {
        (_, Some(name)) => DeviceChoice::Named(name),
        (AudioSide::Microphone, None) => DeviceChoice::DefaultInput,
        (AudioSide::System, None) => DeviceChoice::LoopbackOfDefaultOutput,
    };
    Ok(CpalInput::new(side, cpal::HostId::Wasapi, choice))
}
