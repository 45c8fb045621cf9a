//! One side of the call audio from a cpal input stream, on its own thread (cpal streams are
//! not `Send`). 48 kHz mono f32 with a fixed 960-frame buffer: with the default size the
//! PulseAudio host delivers ~2 s bursts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};

use crate::error::SourceError;
use crate::source::{AUDIO_RATE, AudioChunk, AudioSide, AudioSource};

/// Which device to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceChoice {
    /// The host's default input device (microphone).
    DefaultInput,
    /// PulseAudio: the `.monitor` source of the default sink (what the agent hears).
    MonitorOfDefaultOutput,
    /// WASAPI: the default output device opened as an input (loopback).
    LoopbackOfDefaultOutput,
    /// A device whose id or description is this name.
    Named(String),
}

/// A cpal input stream delivering one side.
#[derive(Debug)]
pub struct CpalInput {
    side: AudioSide,
    host: cpal::HostId,
    choice: DeviceChoice,
    running: Option<Running>,
    dropped: Arc<AtomicU64>,
    failure: Arc<Mutex<Option<SourceError>>>,
}

#[derive(Debug)]
struct Running {
    stop: flume::Sender<()>,
    thread: JoinHandle<()>,
}

/// Frames per callback.
pub const BUFFER_FRAMES: u32 = 960;
const OPEN_TIMEOUT: Duration = Duration::from_secs(5);

fn map_err(device: &str, e: &cpal::Error) -> SourceError {
    match e.kind() {
        cpal::ErrorKind::PermissionDenied => {
            SourceError::PermissionDenied(format!("{device}: {e}"))
        }
        cpal::ErrorKind::DeviceNotAvailable | cpal::ErrorKind::DeviceChanged => {
            SourceError::DeviceGone(device.to_owned())
        }
        cpal::ErrorKind::HostUnavailable => SourceError::Unsupported(format!("{device}: {e}")),
        _ => SourceError::Backend(format!("audio {device}: {e}")),
    }
}

impl CpalInput {
    /// An input for `side` from `host`'s device `choice`; opened by [`AudioSource::start`].
    pub fn new(side: AudioSide, host: cpal::HostId, choice: DeviceChoice) -> CpalInput {
        CpalInput {
            side,
            host,
            choice,
            running: None,
            dropped: Arc::default(),
            failure: Arc::default(),
        }
    }

    fn find_device(host: &cpal::Host, choice: &DeviceChoice) -> Result<cpal::Device, SourceError> {
        let not_found = |what: &str| SourceError::DeviceGone(what.to_owned());
        match choice {
            DeviceChoice::DefaultInput => host
                .default_input_device()
                .ok_or_else(|| not_found("default input")),
            DeviceChoice::LoopbackOfDefaultOutput => host
                .default_output_device()
                .ok_or_else(|| not_found("default output")),
            DeviceChoice::MonitorOfDefaultOutput => {
                let sink = host
                    .default_output_device()
                    .ok_or_else(|| not_found("default output"))?;
                let sink_id = sink.id().map_err(|e| map_err("default output", &e))?;
                let monitor = format!("{}.monitor", sink_id.id());
                Self::find_device(host, &DeviceChoice::Named(monitor))
            }
            DeviceChoice::Named(name) => host
                .input_devices()
                .map_err(|e| map_err(name, &e))?
                .find(|d| {
                    d.id().is_ok_and(|id| id.id() == name)
                        || d.description().is_ok_and(|desc| desc.to_string() == *name)
                })
                .ok_or_else(|| not_found(name)),
        }
    }
}

impl AudioSource for CpalInput {
    fn side(&self) -> AudioSide {
        self.side
    }

    fn start(&mut self, out: flume::Sender<AudioChunk>) -> Result<(), SourceError> {
        self.stop();
        let (stop_tx, stop_rx) = flume::bounded::<()>(1);
        let (ready_tx, ready_rx) = flume::bounded::<Result<(), SourceError>>(1);
        let (side, host_id, choice) = (self.side, self.host, self.choice.clone());
        let dropped = Arc::clone(&self.dropped);
        let failure = Arc::clone(&self.failure);
        let thread = std::thread::Builder::new()
            .name(format!("audio-{side:?}"))
            .spawn(move || {
                let opened = (|| {
                    let host = cpal::host_from_id(host_id)
                        .map_err(|e| map_err(&format!("{host_id:?} host"), &e))?;
                    let device = Self::find_device(&host, &choice)?;
                    let name = device.id().map(|i| i.to_string()).unwrap_or_default();
                    let config = cpal::StreamConfig {
                        channels: 1,
                        sample_rate: AUDIO_RATE,
                        buffer_size: cpal::BufferSize::Fixed(BUFFER_FRAMES),
                    };
                    let err_name = name.clone();
                    let stream = device
                        .build_input_stream::<f32, _, _>(
                            config,
                            move |data: &[f32], info: &cpal::InputCallbackInfo| {
                                let ts = info.timestamp();
                                let latency = ts.callback.duration_since(ts.capture);
                                let captured_at = Instant::now()
                                    .checked_sub(latency)
                                    .unwrap_or_else(Instant::now);
                                let chunk = AudioChunk {
                                    side,
                                    captured_at,
                                    samples: data.to_vec(),
                                };
                                if out.try_send(chunk).is_err() {
                                    dropped.fetch_add(1, Ordering::Relaxed);
                                }
                            },
                            move |e| {
                                if let Ok(mut f) = failure.lock() {
                                    *f = Some(map_err(&err_name, &e));
                                }
                            },
                            Some(OPEN_TIMEOUT),
                        )
                        .map_err(|e| map_err(&name, &e))?;
                    stream.play().map_err(|e| map_err(&name, &e))?;
                    Ok(stream)
                })();
                match opened {
                    Ok(stream) => {
                        let _ = ready_tx.send(Ok(()));
                        let _ = stop_rx.recv();
                        drop(stream);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })
            .map_err(|e| SourceError::Backend(format!("audio thread: {e}")))?;
        let result = ready_rx
            .recv_timeout(OPEN_TIMEOUT + Duration::from_secs(1))
            .unwrap_or_else(|_| Err(SourceError::Backend("audio device did not open".into())));
        match result {
            Ok(()) => {
                self.running = Some(Running {
                    stop: stop_tx,
                    thread,
                });
                Ok(())
            }
            Err(e) => {
                drop(stop_tx);
                let _ = thread.join();
                Err(e)
            }
        }
    }

    fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = running.stop.send(());
            let _ = running.thread.join();
        }
    }

    fn dropped_chunks(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    fn poll_error(&mut self) -> Option<SourceError> {
        self.failure.lock().ok().and_then(|mut f| f.take())
    }
}

impl Drop for CpalInput {
    fn drop(&mut self) {
        self.stop();
    }
}
