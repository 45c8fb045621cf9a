//! `capture-bench`: what the capture pipeline costs on two deterministic 4-monitor 1080p
//! workloads, against ffmpeg's libx264 `-preset ultrafast` on the same frames, in the same
//! run.
//!
//! The screen is the synthetic source on a simulated clock, so every run encodes exactly the
//! same frames. For each workload the bench replays the session's capture rule
//! (`session::rate`: change-driven, adaptive rate, fps cap), encodes every due frame with the
//! pipeline's own stages (BGRX → I420, rav1e, segment cuts with keyframes on the 10 s grid,
//! fMP4 fragments) plus 60 s of two-sided speech-like audio through Opus, and measures:
//! CPU time of those stages (thread CPU clock; rendering the synthetic screen is excluded),
//! bytes per minute, PSNR/SSIM of the active monitor (decoded output vs. the frames fed in),
//! and peak RSS. Then it feeds exactly the same frames to `ffmpeg -c:v libx264 -preset
//! ultrafast -threads 1` (keyframes forced at the same frames) and measures it likewise.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use agentrec_capture::audio::BLOCK_FRAMES;
use agentrec_capture::encode::av1::{Av1Encoder, Av1Settings};
use agentrec_capture::encode::opus::OpusEncoder;
use agentrec_capture::encode::{VideoEncoder, Yuv420Frame};
use agentrec_capture::mux::InitParams;
use agentrec_capture::mux::boxes::init_segment;
use agentrec_capture::mux::fragment::{Fragment, FragmentSample};
use agentrec_capture::mux::segmenter::{SegmentRule, ms_to_units};
use agentrec_capture::session::IDLE_FLUSH_MS;
use agentrec_capture::session::budget::CpuBudget;
use agentrec_capture::session::rate::{MonitorRate, RateRule};
use agentrec_capture::source::synthetic::{SyntheticScreen, Workload};
use agentrec_capture::source::{BgrxFrame, ScreenSource};
use anyhow::{Context, bail};
use clap::Parser;
use std::time::Duration;

#[derive(Parser, Debug, Clone)]
#[command(about = "Benchmark the capture pipeline against x264 ultrafast on the same frames")]
struct Args {
    /// Workloads to run: typical, busy.
    #[arg(long, value_delimiter = ',', default_values_t = vec!["typical".to_string(), "busy".to_string()])]
    workloads: Vec<String>,
    /// Simulated seconds per workload.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Frames per second cap.
    #[arg(long, default_value_t = 5)]
    fps: u32,
    /// Monitor size.
    #[arg(long, default_value_t = 1920)]
    width: u32,
    /// Monitor size.
    #[arg(long, default_value_t = 1080)]
    height: u32,
    /// rav1e quantizer.
    #[arg(long, default_value_t = Av1Settings::default().quantizer)]
    quantizer: u8,
    /// rav1e speed preset.
    #[arg(long, default_value_t = 10)]
    speed: u8,
    /// rav1e RDO look-ahead frames.
    #[arg(long, default_value_t = 1)]
    lookahead: usize,
    /// Small changes are captured at most once per this interval (ms).
    #[arg(long, default_value_t = 1000)]
    idle_ms: u64,
    /// Changes covering at least this share of a monitor (ppm) run at the fps cap.
    #[arg(long, default_value_t = 10_000)]
    active_ppm: u64,
    /// Segment length (ms).
    #[arg(long, default_value_t = 10_000)]
    segment_ms: u64,
    /// Longest video segment (ms).
    #[arg(long, default_value_t = 60_000)]
    max_segment_ms: u64,
    /// The `vmaf` tool (built by capture/bench/build-vmaf.sh); without it no VMAF.
    #[arg(long)]
    vmaf: Option<PathBuf>,
    /// Opus bitrate.
    #[arg(long, default_value_t = agentrec_capture::encode::opus::DEFAULT_BITRATE)]
    audio_bitrate: i32,
    /// CPU budget of the encoders in cores, as the session applies it (0: unlimited).
    #[arg(long, default_value_t = 1.0)]
    cpu_budget: f64,
    /// x264 CRF for the reference.
    #[arg(long, default_value_t = 28)]
    x264_crf: u8,
    /// Skip the x264 reference.
    #[arg(long)]
    no_x264: bool,
    /// Where the encoded files go.
    #[arg(long, default_value = "target/capture-bench")]
    out: PathBuf,
}

/// Process CPU time in seconds (rav1e works on its own pool thread, so the calling thread's
/// clock would miss it; the measured sections run nothing else).
fn thread_cpu_s() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    #[allow(unsafe_code)]
    unsafe {
        libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts);
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

fn rss_mb(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(key)).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

struct MonitorRun {
    encoder: Av1Encoder,
    rate: MonitorRate,
    yuv: Yuv420Frame,
    have_frame: bool,
    encoding: bool,
    last_ms: Option<u64>,
    /// CPU spent flushing, not yet charged to the budget.
    flush_cpu_s: f64,
    /// (start, forced cut, samples)
    segment: Option<(u64, u64, Fragment)>,
    seq: u32,
    bytes: u64,
    file: Vec<u8>,
    /// Every frame fed to the encoder: its time, and whether it is a keyframe (starts a run).
    frames: Vec<(u64, bool)>,
}

fn trim_each_frame() -> bool {
    std::env::var_os("AGENTREC_BENCH_TRIM").is_some()
}

/// As the session's video track (`session/video_track.rs`): the same rules, offline.
impl MonitorRun {
    fn push(&mut self, packets: Vec<agentrec_capture::encode::EncodedPacket>) {
        if let Some((_, _, f)) = &mut self.segment {
            for p in packets {
                f.push(FragmentSample {
                    pts: p.pts,
                    data: p.data,
                    sync: p.keyframe,
                });
            }
        }
    }

    fn flush_encoder(&mut self) -> anyhow::Result<()> {
        if self.encoding {
            self.encoding = false;
            let t0 = thread_cpu_s();
            let packets = self.encoder.finish_segment()?;
            self.flush_cpu_s += thread_cpu_s() - t0;
            self.push(packets);
            agentrec_capture::source::release_free_memory();
        }
        Ok(())
    }

    fn encode_current(&mut self, at_ms: u64, rule: &SegmentRule) -> anyhow::Result<()> {
        if self.segment.is_none() {
            self.flush_encoder()?;
            self.segment = Some((at_ms, rule.forced_cut_ms(at_ms), Fragment::new()));
        }
        let starts_run = !self.encoding;
        if starts_run {
            self.encoder.begin_segment()?;
            self.encoding = true;
        }
        let packets = self.encoder.encode(&self.yuv, ms_to_units(at_ms, 90_000))?;
        if trim_each_frame() {
            agentrec_capture::source::release_free_memory();
        }
        self.last_ms = Some(at_ms);
        self.frames.push((at_ms, starts_run));
        self.push(packets);
        Ok(())
    }

    fn close(&mut self, end_ms: u64) -> anyhow::Result<()> {
        if self.segment.is_none() {
            return Ok(());
        }
        self.flush_encoder()?;
        let Some((start, _, f)) = self.segment.take() else {
            return Ok(());
        };
        let done = f
            .finish(1, self.seq, ms_to_units(end_ms.max(start + 1), 90_000))
            .context("empty segment")?;
        self.seq += 1;
        self.bytes += done.bytes.len() as u64;
        self.file.extend_from_slice(&done.bytes);
        Ok(())
    }
}

struct OursResult {
    video_cpu_s: f64,
    audio_cpu_s: f64,
    video_bytes: Vec<u64>,
    audio_bytes: u64,
    frames: Vec<Vec<(u64, bool)>>,
    peak_rss_mb: f64,
    files: Vec<PathBuf>,
}

fn workload_of(name: &str) -> anyhow::Result<Workload> {
    Ok(match name {
        "typical" => Workload::Typical,
        "busy" => Workload::Busy,
        other => bail!("unknown workload {other}"),
    })
}

fn run_ours(name: &str, a: &Args) -> anyhow::Result<OursResult> {
    let workload = workload_of(name)?;
    let mut screen = SyntheticScreen::new(workload, 4, a.width, a.height);
    let settings = Av1Settings {
        speed: a.speed,
        quantizer: a.quantizer,
        rdo_lookahead_frames: a.lookahead,
        ..Av1Settings::default()
    };
    let monitors = screen.monitors()?;
    let mut runs = Vec::new();
    let mut cpu = 0.0;
    for _ in &monitors {
        let t0 = thread_cpu_s();
        let encoder = Av1Encoder::new(a.width, a.height, a.fps, settings)?;
        cpu += thread_cpu_s() - t0;
        let mut file = init_segment(&InitParams {
            track_id: 1,
            timescale: 90_000,
            codec: encoder.codec_config(),
        });
        file.shrink_to_fit();
        runs.push(MonitorRun {
            encoder,
            rate: MonitorRate::new(),
            yuv: Yuv420Frame::default(),
            have_frame: false,
            segment: None,
            encoding: false,
            last_ms: None,
            flush_cpu_s: 0.0,
            seq: 1,
            bytes: file.len() as u64,
            file,
            frames: Vec::new(),
        });
    }
    let rule = RateRule {
        tick_ms: 1000 / u64::from(a.fps),
        idle_interval_ms: a.idle_ms,
        active_area_ppm: a.active_ppm,
    };
    let area = u64::from(a.width) * u64::from(a.height);
    let mut budget = CpuBudget::new(a.cpu_budget, Duration::from_secs(2));
    let seg_rule = SegmentRule {
        segment_ms: a.segment_ms,
        max_segment_ms: a.max_segment_ms,
    };
    let end_ms = a.seconds * 1000;
    let mut bgrx = BgrxFrame::default();
    let trace_rss = std::env::var_os("AGENTREC_BENCH_RSS").is_some();
    let mut t = 0;
    while t < end_ms {
        screen.set_time_ms(t);
        let damage = screen.poll_damage()?;
        // Round robin, as the session's screen loop.
        let n = monitors.len();
        for k in 0..n {
            let i = (k + (t / rule.tick_ms) as usize) % n;
            let m = &monitors[i];
            let run = &mut runs[i];
            if let Some(d) = damage.iter().find(|d| d.monitor == m.id) {
                run.rate.damaged(&rule, d.pixels, area, t);
            }
            let t0 = thread_cpu_s();
            // Forced cuts: close, and restart from the last frame as a keyframe (unless a new
            // frame lands exactly on the line: then it starts the segment).
            while let Some(cut) = run.segment.as_ref().map(|s| s.1).filter(|c| *c <= t) {
                run.close(cut)?;
                if run.have_frame && !(cut == t && run.rate.due(&rule, t)) {
                    run.encode_current(cut, &seg_rule)?;
                }
            }
            // Idle flush.
            if run.encoding && run.last_ms.is_some_and(|l| t >= l + IDLE_FLUSH_MS) {
                run.flush_encoder()?;
            }
            cpu += thread_cpu_s() - t0;
            // Flushing (segment ends, idle) charges the budget, as in the session.
            let flushed = std::mem::take(&mut run.flush_cpu_s);
            budget.charge(Duration::from_millis(t), Duration::from_secs_f64(flushed));
            if run.rate.due(&rule, t) && budget.allows(Duration::from_millis(t)) {
                screen.capture(m, &mut bgrx)?; // rendering: not the pipeline's cost
                let t0 = thread_cpu_s();
                let large = run.rate.is_large(&rule, area);
                if let Some((start, _, _)) = &run.segment
                    && seg_rule.frame_starts_segment(*start, t, large)
                {
                    run.close(t)?;
                }
                run.yuv.convert_from(&bgrx, a.width, a.height);
                run.have_frame = true;
                run.encode_current(t, &seg_rule)?;
                run.rate.captured(t);
                let spent = thread_cpu_s() - t0;
                run.flush_cpu_s = 0.0; // already inside `spent`
                budget.charge(Duration::from_millis(t), Duration::from_secs_f64(spent));
                cpu += spent;
            }
        }
        if trace_rss && t % 1000 == 0 {
            let alive: Vec<bool> = runs.iter().map(|r| r.encoding).collect();
            eprintln!(
                "t={t} rss={:.0} MB peak={:.0} MB encoders alive {alive:?}",
                rss_mb("VmRSS:"),
                rss_mb("VmHWM:")
            );
        }
        t += rule.tick_ms;
    }
    let t0 = thread_cpu_s();
    for run in &mut runs {
        run.close(end_ms)?;
    }
    cpu += thread_cpu_s() - t0;
    let (audio_cpu_s, audio_bytes) = run_audio(a)?;
    let peak = peak_rss_mb();
    std::fs::create_dir_all(&a.out)?;
    let mut files = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let p = a.out.join(format!("{name}-ours-mon{i}.mp4"));
        std::fs::write(&p, &run.file)?;
        files.push(p);
    }
    Ok(OursResult {
        video_cpu_s: cpu,
        audio_cpu_s,
        video_bytes: runs.iter().map(|r| r.bytes).collect(),
        audio_bytes,
        frames: runs.iter().map(|r| r.frames.clone()).collect(),
        peak_rss_mb: peak,
        files,
    })
}

/// Two-sided, speech-like audio (voiced harmonics with syllable-rate envelopes, the sides
/// taking turns every 4 s) through Opus and the fragmenter, segment by segment.
fn run_audio(a: &Args) -> anyhow::Result<(f64, u64)> {
    let t0 = thread_cpu_s();
    let mut enc = OpusEncoder::new(a.audio_bitrate)?;
    let mut bytes = init_segment(&InitParams {
        track_id: 1,
        timescale: 48_000,
        codec: enc.codec_config(),
    })
    .len() as u64;
    let blocks = a.seconds * 50;
    let mut frag = Fragment::new();
    let mut seq = 1;
    let mut noise = 0x1234_5678u32;
    for b in 0..blocks {
        let mut block = Vec::with_capacity(BLOCK_FRAMES * 2);
        for k in 0..BLOCK_FRAMES as u64 {
            let n = b * BLOCK_FRAMES as u64 + k;
            let t = n as f32 / 48_000.0;
            let env = (t * 4.0 * std::f32::consts::TAU).sin().max(0.0);
            let pitch = 120.0 + 30.0 * (t * 0.7).sin();
            let voiced: f32 = (1..8)
                .map(|h| (t * pitch * h as f32 * std::f32::consts::TAU).sin() / h as f32)
                .sum();
            noise ^= noise << 13;
            noise ^= noise >> 17;
            noise ^= noise << 5;
            let s = env * (0.2 * voiced + 0.02 * (noise as f32 / u32::MAX as f32 - 0.5));
            let agent_turn = ((t / 4.0) as u64).is_multiple_of(2);
            block.push(if agent_turn { s } else { 0.0 });
            block.push(if agent_turn { 0.0 } else { s });
        }
        let packet = enc.encode(&block)?;
        frag.push(FragmentSample {
            pts: b * BLOCK_FRAMES as u64,
            data: packet,
            sync: true,
        });
        if (b + 1) % (a.segment_ms / 20) == 0 || b + 1 == blocks {
            let done = std::mem::take(&mut frag)
                .finish(1, seq, (b + 1) * BLOCK_FRAMES as u64)
                .context("audio segment")?;
            seq += 1;
            bytes += done.bytes.len() as u64;
        }
    }
    Ok((thread_cpu_s() - t0, bytes))
}

struct X264Result {
    cpu_s: f64,
    bytes: Vec<u64>,
    files: Vec<PathBuf>,
}

fn run_x264(name: &str, a: &Args, frames: &[Vec<(u64, bool)>]) -> anyhow::Result<X264Result> {
    let workload = workload_of(name)?;
    let mut screen = SyntheticScreen::new(workload, 4, a.width, a.height);
    let monitors = screen.monitors()?;
    let mut cpu = 0.0;
    let mut bytes = Vec::new();
    let mut files = Vec::new();
    let mut bgrx = BgrxFrame::default();
    let mut yuv = Yuv420Frame::default();
    for (i, m) in monitors.iter().enumerate() {
        let out = a.out.join(format!("{name}-x264-mon{i}.mp4"));
        let keys: Vec<String> = frames[i]
            .iter()
            .enumerate()
            .filter(|(_, f)| f.1)
            .map(|(k, _)| format!("{:.4}", k as f64 / f64::from(a.fps)))
            .collect();
        let mut child = Command::new("ffmpeg")
            .args([
                "-hide_banner",
                "-nostdin",
                "-benchmark",
                "-y",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "yuv420p",
                "-s",
            ])
            .arg(format!("{}x{}", a.width, a.height))
            .args([
                "-r",
                &a.fps.to_string(),
                "-i",
                "-",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-threads",
                "1",
            ])
            .args([
                "-crf",
                &a.x264_crf.to_string(),
                "-force_key_frames",
                &keys.join(","),
            ])
            .arg(&out)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("ffmpeg (apt install ffmpeg)")?;
        let mut stdin = child.stdin.take().context("ffmpeg stdin")?;
        for (t, _) in &frames[i] {
            screen.set_time_ms(*t);
            screen.capture(m, &mut bgrx)?;
            yuv.convert_from(&bgrx, a.width, a.height);
            stdin.write_all(&yuv.y)?;
            stdin.write_all(&yuv.u)?;
            stdin.write_all(&yuv.v)?;
        }
        drop(stdin);
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            e.read_to_string(&mut err)?;
        }
        if !child.wait()?.success() {
            bail!("ffmpeg failed: {err}");
        }
        // "bench: utime=1.234s stime=0.056s rtime=..."
        let bench = err
            .lines()
            .rev()
            .find(|l| l.starts_with("bench: utime="))
            .context("no -benchmark line")?;
        let secs = |key: &str| -> f64 {
            bench
                .split_whitespace()
                .find_map(|w| w.strip_prefix(key))
                .and_then(|v| v.trim_end_matches('s').parse().ok())
                .unwrap_or(0.0)
        };
        cpu += secs("utime=") + secs("stime=");
        bytes.push(std::fs::metadata(&out)?.len());
        files.push(out);
    }
    Ok(X264Result {
        cpu_s: cpu,
        bytes,
        files,
    })
}

#[derive(Debug, Default, Clone, Copy)]
struct Quality {
    psnr_y: f64,
    psnr_yuv: f64,
    ssim_y: f64,
    /// Mean VMAF (model vmaf_v0.6.1), when the tool is there.
    vmaf: Option<f64>,
    frames: usize,
}

/// Runs the `vmaf` tool on two raw I420 files; returns the pooled mean.
fn run_vmaf(tool: &Path, reference: &Path, distorted: &Path, a: &Args) -> anyhow::Result<f64> {
    let json = reference.with_extension("vmaf.json");
    let out = Command::new(tool)
        .args([
            "-q",
            "-p",
            "420",
            "-b",
            "8",
            "--threads",
            "2",
            "--json",
            "-m",
            "version=vmaf_v0.6.1",
        ])
        .args([
            "-w",
            &a.width.to_string(),
            "-h",
            &a.height.to_string(),
            "-r",
        ])
        .arg(reference)
        .arg("-d")
        .arg(distorted)
        .arg("-o")
        .arg(&json)
        .output()
        .context("running vmaf")?;
    if !out.status.success() {
        bail!("vmaf failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json)?)?;
    v["pooled_metrics"]["vmaf"]["mean"]
        .as_f64()
        .context("no pooled vmaf mean")
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let mse = a
        .iter()
        .zip(b)
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum::<f64>()
        / a.len().max(1) as f64;
    if mse <= 1e-10 {
        100.0
    } else {
        10.0 * (255.0f64 * 255.0 / mse).log10()
    }
}

/// Mean SSIM over non-overlapping 8×8 blocks of the luma plane.
fn ssim(a: &[u8], b: &[u8], w: usize, h: usize) -> f64 {
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let mut total = 0.0;
    let mut n = 0usize;
    for by in (0..h.saturating_sub(7)).step_by(8) {
        for bx in (0..w.saturating_sub(7)).step_by(8) {
            let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for y in by..by + 8 {
                for x in bx..bx + 8 {
                    let (p, q) = (f64::from(a[y * w + x]), f64::from(b[y * w + x]));
                    sa += p;
                    sb += q;
                    saa += p * p;
                    sbb += q * q;
                    sab += p * q;
                }
            }
            let (ma, mb) = (sa / 64.0, sb / 64.0);
            let (va, vb, cov) = (
                saa / 64.0 - ma * ma,
                sbb / 64.0 - mb * mb,
                sab / 64.0 - ma * mb,
            );
            total += ((2.0 * ma * mb + c1) * (2.0 * cov + c2))
                / ((ma * ma + mb * mb + c1) * (va + vb + c2));
            n += 1;
        }
    }
    total / n.max(1) as f64
}

/// Decodes `file` and compares every frame with the frame that was fed to the encoder.
fn quality(name: &str, a: &Args, file: &Path, frames: &[(u64, bool)]) -> anyhow::Result<Quality> {
    let workload = workload_of(name)?;
    let mut screen = SyntheticScreen::new(workload, 4, a.width, a.height);
    let monitor = screen.monitors()?.remove(0);
    let mut child = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(file)
        .args([
            "-fps_mode",
            "passthrough",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "yuv420p",
            "-",
        ])
        .stdout(Stdio::piped())
        .spawn()?;
    let mut stdout = child.stdout.take().context("ffmpeg stdout")?;
    let (w, h) = (a.width as usize, a.height as usize);
    let mut decoded = vec![0u8; w * h * 3 / 2];
    let mut bgrx = BgrxFrame::default();
    let mut yuv = Yuv420Frame::default();
    let mut q = Quality::default();
    let ref_path = file.with_extension("ref.yuv");
    let dist_path = file.with_extension("dist.yuv");
    let mut raw = match &a.vmaf {
        Some(_) => Some((
            std::fs::File::create(&ref_path)?,
            std::fs::File::create(&dist_path)?,
        )),
        None => None,
    };
    for (t, _) in frames {
        if stdout.read_exact(&mut decoded).is_err() {
            break;
        }
        screen.set_time_ms(*t);
        screen.capture(&monitor, &mut bgrx)?;
        yuv.convert_from(&bgrx, a.width, a.height);
        if let Some((r, d)) = &mut raw {
            r.write_all(&yuv.y)?;
            r.write_all(&yuv.u)?;
            r.write_all(&yuv.v)?;
            d.write_all(&decoded)?;
        }
        let (dy, rest) = decoded.split_at(w * h);
        let (du, dv) = rest.split_at(w * h / 4);
        let py = psnr(&yuv.y, dy);
        q.psnr_y += py;
        q.psnr_yuv += (6.0 * py + psnr(&yuv.u, du) + psnr(&yuv.v, dv)) / 8.0;
        q.ssim_y += ssim(&yuv.y, dy, w, h);
        q.frames += 1;
    }
    drop(stdout);
    child.wait()?;
    if q.frames != frames.len() {
        bail!(
            "{}: decoded {} of {} frames",
            file.display(),
            q.frames,
            frames.len()
        );
    }
    let n = q.frames.max(1) as f64;
    drop(raw);
    let vmaf = match &a.vmaf {
        Some(tool) => {
            let v = run_vmaf(tool, &ref_path, &dist_path, a);
            let _ = std::fs::remove_file(&ref_path);
            let _ = std::fs::remove_file(&dist_path);
            Some(v?)
        }
        None => None,
    };
    Ok(Quality {
        psnr_y: q.psnr_y / n,
        psnr_yuv: q.psnr_yuv / n,
        ssim_y: q.ssim_y / n,
        vmaf,
        frames: q.frames,
    })
}

fn fmt_vmaf(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.2}"))
}

#[allow(clippy::print_stdout)]
fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    if std::env::var_os("AGENTREC_BENCH_NO_TUNE").is_none() {
        agentrec_capture::source::tune_allocator(); // as CaptureSession::start does
    }
    println!("capture-bench {a:?}");
    let minutes = a.seconds as f64 / 60.0;
    for name in &a.workloads {
        let ours = run_ours(name, &a)?;
        let ours_q = quality(name, &a, &ours.files[0], &ours.frames[0])?;
        let video_bytes: u64 = ours.video_bytes.iter().sum();
        let ours_cpu = (ours.video_cpu_s + ours.audio_cpu_s) / a.seconds as f64;
        let ours_mb_min = (video_bytes + ours.audio_bytes) as f64 / minutes / 1e6;
        let frames: Vec<usize> = ours.frames.iter().map(Vec::len).collect();
        println!(
            "\n== workload {name}: 4 × {}x{}, {} s, fps cap {}",
            a.width, a.height, a.seconds, a.fps
        );
        println!("frames encoded per monitor: {frames:?} (incl. segment-start keyframes)");
        let per_s = |x: f64| x / a.seconds as f64 * 100.0;
        println!(
            "ours (rav1e s{} q{} + Opus {} b/s): CPU {:.1} % of one core (video {:.1} %, audio {:.1} %), \
             {:.3} MB/min (video {:.3}, audio {:.3}), active monitor VMAF {}, PSNR-Y {:.2} dB, \
             PSNR-YUV {:.2} dB, SSIM-Y {:.4}, peak RSS {:.0} MB",
            a.speed,
            a.quantizer,
            a.audio_bitrate,
            ours_cpu * 100.0,
            per_s(ours.video_cpu_s),
            per_s(ours.audio_cpu_s),
            ours_mb_min,
            video_bytes as f64 / minutes / 1e6,
            ours.audio_bytes as f64 / minutes / 1e6,
            fmt_vmaf(ours_q.vmaf),
            ours_q.psnr_y,
            ours_q.psnr_yuv,
            ours_q.ssim_y,
            ours.peak_rss_mb
        );
        println!("per-monitor bytes: {:?}", ours.video_bytes);
        let mut json = serde_json::json!({
            "workload": name, "quantizer": a.quantizer, "speed": a.speed, "idle_ms": a.idle_ms,
            "max_segment_ms": a.max_segment_ms, "cpu_budget": a.cpu_budget, "frames": frames,
            "ours_cpu_pct": ours_cpu * 100.0, "ours_video_cpu_pct": per_s(ours.video_cpu_s),
            "ours_mb_min": ours_mb_min, "ours_video_mb_min": video_bytes as f64 / minutes / 1e6,
            "ours_vmaf": ours_q.vmaf, "ours_psnr_y": ours_q.psnr_y, "ours_ssim_y": ours_q.ssim_y,
            "ours_peak_rss_mb": ours.peak_rss_mb,
        });
        if !a.no_x264 {
            let x = run_x264(name, &a, &ours.frames)?;
            let x_q = quality(name, &a, &x.files[0], &ours.frames[0])?;
            let x_bytes: u64 = x.bytes.iter().sum();
            let x_cpu = x.cpu_s / a.seconds as f64;
            let x_mb_min = x_bytes as f64 / minutes / 1e6;
            println!(
                "x264 ultrafast crf {} (same frames, video only): CPU {:.1} % of one core, {:.3} MB/min, \
                 active monitor VMAF {}, PSNR-Y {:.2} dB, PSNR-YUV {:.2} dB, SSIM-Y {:.4}",
                a.x264_crf,
                x_cpu * 100.0,
                x_mb_min,
                fmt_vmaf(x_q.vmaf),
                x_q.psnr_y,
                x_q.psnr_yuv,
                x_q.ssim_y
            );
            let cpu_ratio = per_s(ours.video_cpu_s) / (x_cpu * 100.0).max(1e-9);
            let bytes_ratio = video_bytes as f64 / (x_bytes as f64).max(1.0);
            println!("ratio ours/x264 (video): CPU {cpu_ratio:.2}×, bytes {bytes_ratio:.2}×");
            json["x264_cpu_pct"] = (x_cpu * 100.0).into();
            json["x264_mb_min"] = x_mb_min.into();
            json["x264_vmaf"] = x_q.vmaf.into();
            json["x264_psnr_y"] = x_q.psnr_y.into();
            json["x264_ssim_y"] = x_q.ssim_y.into();
            json["ratio_cpu"] = cpu_ratio.into();
            json["ratio_bytes"] = bytes_ratio.into();
        }
        println!("JSON {json}");
    }
    Ok(())
}
