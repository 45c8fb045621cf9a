//! `agentrec-capture`: list monitors, record monitors + call audio into a spool, export a
//! spooled track as a playable MP4.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use agentrec_capture::export::export_track;
use agentrec_capture::session::{CaptureEvent, CaptureSession, SessionConfig, Sources, StopReason};
use agentrec_capture::source::{AudioSide, AudioSource, Backends, ScreenSource};
use agentrec_capture::spool::{Spool, SpoolKey};
use agentrec_core::policy::{CapturePolicy, Resolution};
use agentrec_core::recorder::{EndReason, Finalized, Outcome, TimelineEvent, TimelineKind};
use agentrec_core::wire::CallMetadata;
use agentrec_core::{CallId, MonitorId, RecordingId};
use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    version,
    about = "agentrec capture pipeline: screens + call audio → AV1/Opus CMAF segments in an encrypted spool"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// List the monitors the screen backend sees.
    Monitors,
    /// Record monitors and call audio into a spool directory.
    Record {
        /// How long to record.
        #[arg(long)]
        seconds: f64,
        /// The spool directory.
        #[arg(long)]
        out: PathBuf,
        /// Monitors to record (comma-separated names; default: all, up to 4).
        #[arg(long, value_delimiter = ',')]
        monitors: Vec<String>,
        /// Frames per second at most.
        #[arg(long, default_value_t = 5)]
        fps: u8,
        /// Scale monitors down to fit WIDTHxHEIGHT.
        #[arg(long)]
        max_size: Option<String>,
        /// Record no audio.
        #[arg(long)]
        no_audio: bool,
        /// Microphone device (default: the default input).
        #[arg(long)]
        mic: Option<String>,
        /// System-output device to record (default: the default output's monitor).
        #[arg(long)]
        system: Option<String>,
        /// Segment length in seconds (the grid).
        #[arg(long, default_value_t = 10.0)]
        segment_seconds: f64,
        /// Longest video segment in seconds (monitors without large changes).
        #[arg(long, default_value_t = 60.0)]
        max_segment_seconds: f64,
        /// Spool quota in MiB.
        #[arg(long)]
        quota_mb: Option<u64>,
        /// rav1e quantizer (0–255).
        #[arg(long)]
        quantizer: Option<u8>,
        /// Use a synthetic screen instead of the real one.
        #[arg(long, value_enum)]
        synthetic: Option<Synthetic>,
        /// Pause capture this many seconds in (a PCI pause: a gap on the timeline).
        #[arg(long, requires = "pause_for")]
        pause_at: Option<f64>,
        /// How long the pause lasts, in seconds.
        #[arg(long, requires = "pause_at")]
        pause_for: Option<f64>,
        /// Call details of the recording (JSON `CallMetadata`: kind, direction, queue,
        /// customer…), stored in the spool for the uploader.
        #[arg(long)]
        call_metadata: Option<PathBuf>,
        /// Finalize the recording in the spool when done (complete, call ended), with a
        /// timeline of what this run did (started, paused, resumed, ended); without it the
        /// recording stays open, as a crashed app leaves it.
        #[arg(long)]
        finalize: bool,
        /// More timeline markers for --finalize (JSON array of `TimelineEvent`s: the call
        /// events the app's Recorder would add, which this CLI does not see).
        #[arg(long, requires = "finalize")]
        timeline_extra: Option<PathBuf>,
        /// Spool key file (64 hex digits); see `key_help`.
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Decrypt a spooled track and write it as one MP4.
    Export {
        /// The spool directory.
        dir: PathBuf,
        /// Track number.
        #[arg(long)]
        track: u32,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        /// The recording (default: the only or newest one).
        #[arg(long)]
        recording: Option<String>,
        #[command(flatten)]
        key: KeyArgs,
    },
}

#[derive(clap::Args)]
struct KeyArgs {
    /// File with the spool key as 64 hex digits. Default: $AGENTREC_SPOOL_KEY, else
    /// `<spool>/spool.key` (created by `record`; the app keeps its key in the OS keyring).
    #[arg(long)]
    key_file: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Synthetic {
    Typical,
    Busy,
    Pattern,
}

fn load_key(args: &KeyArgs, spool_dir: &Path, create: bool) -> anyhow::Result<SpoolKey> {
    if let Some(path) = &args.key_file {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        return SpoolKey::from_hex(&text).context("key file must hold 64 hex digits");
    }
    if let Ok(hex) = std::env::var("AGENTREC_SPOOL_KEY") {
        return SpoolKey::from_hex(&hex).context("AGENTREC_SPOOL_KEY must be 64 hex digits");
    }
    let path = spool_dir.join("spool.key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return SpoolKey::from_hex(&text).context("bad spool.key");
    }
    if !create {
        bail!("no key: pass --key-file or set AGENTREC_SPOOL_KEY");
    }
    let key = SpoolKey::generate().map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    std::fs::create_dir_all(spool_dir)?;
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        f.write_all(key.to_hex().as_bytes())?;
    }
    eprintln!(
        "note: new spool key written to {} (the app keeps it in the OS keyring)",
        path.display()
    );
    Ok(key)
}

fn screen(synthetic: Option<Synthetic>) -> anyhow::Result<Box<dyn ScreenSource>> {
    use agentrec_capture::source::synthetic::{SyntheticScreen, Workload};
    Ok(match synthetic {
        None => Backends::screen()?,
        Some(s) => Box::new(SyntheticScreen::new(
            match s {
                Synthetic::Typical => Workload::Typical,
                Synthetic::Busy => Workload::Busy,
                Synthetic::Pattern => Workload::Pattern,
            },
            4,
            1920,
            1080,
        )),
    })
}

/// The end of a recording this run made: complete, the call ended, with the run's markers
/// and the captured time of its longest track.
fn finalized(
    spool: &Spool,
    recording: RecordingId,
    mut timeline: Vec<TimelineEvent>,
    stopped_at_ms: u64,
) -> anyhow::Result<Finalized> {
    let manifest = spool
        .recordings()
        .into_iter()
        .find(|m| m.recording == recording)
        .context("the recording is not in the spool")?;
    let duration_ms = manifest.timeline_end_ms().max(stopped_at_ms);
    let recorded_ms = manifest
        .tracks
        .iter()
        .map(|t| t.segments.iter().map(|s| s.info.duration_ms).sum::<u64>())
        .max()
        .unwrap_or(0);
    timeline.push(TimelineEvent {
        offset_ms: i64::try_from(duration_ms)?,
        kind: TimelineKind::RecordingEnded {
            reason: EndReason::CallEnded,
        },
    });
    timeline.sort_by_key(|e| e.offset_ms);
    Ok(Finalized {
        recording,
        call: manifest.call,
        outcome: Outcome::Complete,
        reason: EndReason::CallEnded,
        capture_failed: false,
        recorded_ms,
        duration_ms,
        timeline,
    })
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Monitors => {
            let mut screen = Backends::screen()?;
            for m in screen.monitors()? {
                let r = m.rect;
                #[allow(clippy::print_stdout)]
                {
                    println!(
                        "{}\t{}x{}+{}+{}{}",
                        m.id,
                        r.width,
                        r.height,
                        r.x,
                        r.y,
                        if m.primary { "\tprimary" } else { "" }
                    );
                }
            }
        }
        Cmd::Record {
            seconds,
            out,
            monitors,
            fps,
            max_size,
            no_audio,
            mic,
            system,
            segment_seconds,
            max_segment_seconds,
            quota_mb,
            quantizer,
            synthetic,
            pause_at,
            pause_for,
            call_metadata,
            finalize,
            timeline_extra,
            key,
        } => {
            let metadata: Option<CallMetadata> = call_metadata
                .map(|p| -> anyhow::Result<CallMetadata> {
                    let text = std::fs::read_to_string(&p)
                        .with_context(|| format!("reading {}", p.display()))?;
                    serde_json::from_str(&text).context("--call-metadata: not a CallMetadata")
                })
                .transpose()?;
            let mut markers: Vec<TimelineEvent> = match timeline_extra {
                Some(p) => {
                    let text = std::fs::read_to_string(&p)
                        .with_context(|| format!("reading {}", p.display()))?;
                    serde_json::from_str(&text)
                        .context("--timeline-extra: not a JSON array of TimelineEvents")?
                }
                None => Vec::new(),
            };
            let key = load_key(&key, &out, true)?;
            let (spool, report) = Spool::open(&out, key, quota_mb.map(|m| m * 1024 * 1024))?;
            if report.files_readded + report.temp_files_removed > 0 {
                eprintln!("recovered spool: {report:?}");
            }
            let max_resolution = match max_size {
                Some(s) => {
                    let (w, h) = s.split_once('x').context("--max-size WIDTHxHEIGHT")?;
                    Some(Resolution {
                        width: w.parse()?,
                        height: h.parse()?,
                    })
                }
                None => None,
            };
            let settings = CapturePolicy {
                fps_cap: fps,
                max_resolution,
                ..CapturePolicy::default()
            };
            let mut bytes = [0u8; 16];
            getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
            let recording = RecordingId::from_random_bytes(bytes);
            let mut cfg = SessionConfig::new(recording, CallId::from("cli"), settings);
            cfg.monitors = monitors.into_iter().map(MonitorId).collect();
            cfg.auto_add_monitors = true;
            cfg.segment_ms = (segment_seconds * 1000.0) as u64;
            cfg.max_segment_ms = (max_segment_seconds * 1000.0) as u64;
            if let Some(q) = quantizer {
                cfg.av1.quantizer = q;
            }
            let mut audio: Vec<Box<dyn AudioSource>> = Vec::new();
            if !no_audio {
                for (side, dev) in [(AudioSide::Microphone, mic), (AudioSide::System, system)] {
                    match Backends::audio(side, dev) {
                        Ok(s) => audio.push(s),
                        Err(e) => eprintln!("no {side:?} audio: {e}"),
                    }
                }
            }
            let session = CaptureSession::start(
                cfg,
                Sources {
                    screen: screen(synthetic)?,
                    audio,
                },
                spool.clone(),
            )?;
            eprintln!("recording {recording} into {}", out.display());
            if let Some(m) = metadata {
                spool.set_metadata(recording, m)?;
            }
            markers.push(TimelineEvent {
                offset_ms: 0,
                kind: TimelineKind::RecordingStarted,
            });
            let events = session.events();
            let started = Instant::now();
            let deadline = started + Duration::from_secs_f64(seconds);
            let mut pause = pause_at.zip(pause_for).map(|(at, length)| {
                (
                    started + Duration::from_secs_f64(at),
                    started + Duration::from_secs_f64(at + length),
                )
            });
            let mut paused = false;
            let mut stopping = false;
            loop {
                if let Some((from, to)) = pause {
                    let now = Instant::now();
                    if !paused && now >= from {
                        session.pause()?;
                        paused = true;
                    } else if paused && now >= to {
                        session.resume()?;
                        paused = false;
                        pause = None;
                    }
                }
                if !stopping && Instant::now() >= deadline {
                    session.stop()?;
                    stopping = true;
                }
                match events.recv_timeout(Duration::from_millis(20)) {
                    Ok(CaptureEvent::Stopped { reason, at_ms }) => {
                        eprintln!("stopped at {at_ms} ms: {reason:?}");
                        drop(session);
                        if !matches!(reason, StopReason::Requested) {
                            bail!("recording stopped: {reason:?}");
                        }
                        if finalize {
                            let done = finalized(&spool, recording, markers, at_ms)?;
                            eprintln!(
                                "finalized: {} ms, {} ms captured, {} markers",
                                done.duration_ms,
                                done.recorded_ms,
                                done.timeline.len()
                            );
                            spool.finalize(done)?;
                        }
                        return Ok(());
                    }
                    Ok(CaptureEvent::Paused { at_ms }) => {
                        eprintln!("paused at {at_ms} ms");
                        markers.push(TimelineEvent {
                            offset_ms: i64::try_from(at_ms)?,
                            kind: TimelineKind::Paused,
                        });
                    }
                    Ok(CaptureEvent::Resumed { at_ms }) => {
                        eprintln!("resumed at {at_ms} ms");
                        markers.push(TimelineEvent {
                            offset_ms: i64::try_from(at_ms)?,
                            kind: TimelineKind::Resumed,
                        });
                    }
                    Ok(CaptureEvent::SegmentWritten { segment, .. }) => eprintln!(
                        "segment track {} #{} {}+{} ms {} bytes",
                        segment.track,
                        segment.seq,
                        segment.start_ms,
                        segment.duration_ms,
                        segment.bytes
                    ),
                    Ok(e) => eprintln!("{e:?}"),
                    Err(flume::RecvTimeoutError::Timeout) => {}
                    Err(flume::RecvTimeoutError::Disconnected) => return Ok(()),
                }
            }
        }
        Cmd::Export {
            dir,
            track,
            out,
            recording,
            key,
        } => {
            let key = load_key(&key, &dir, false)?;
            let (spool, _) = Spool::open(&dir, key, None)?;
            let recordings = spool.recordings();
            let rec = match recording {
                Some(id) => RecordingId(id.parse().context("recording id")?),
                None => recordings.last().context("the spool is empty")?.recording,
            };
            let summary = export_track(&spool, rec, track, &out)?;
            eprintln!(
                "exported {} segments ({} bytes) of track {track} to {}{}",
                summary.segments,
                summary.bytes,
                out.display(),
                if summary.missing > 0 {
                    format!("; {} already uploaded", summary.missing)
                } else {
                    String::new()
                }
            );
        }
    }
    Ok(())
}
