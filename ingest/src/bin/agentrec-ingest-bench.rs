//! Load generator for the ingest server: N simulated agents on loopback, each uploading one
//! recording's 4 video + 1 audio segments every 10 s (realistic sizes: one busy monitor, three
//! mostly static ones, Opus at 24 kb/s; valid CMAF structure)
//! plus a heartbeat every 30 s, against the real `agentrec-ingest` binary started here on the
//! embedded default (SQLite + local directory, fsync on).
//!
//! For each N of `--agents` it runs `--step-secs` and reports upload latency percentiles,
//! errors, uploads/s, and the server's CPU (from /proc/<pid>/stat) and RSS (VmRSS / VmHWM).
//! The largest N with p99 < 250 ms and zero errors is the figure in BENCHMARKS.md. Every loop
//! is bounded in time; all traffic goes to 127.0.0.1.

// The report (a markdown table) is this program's output.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agentrec_core::wire::{DURATION_MS_HEADER, SHA256_HEADER, START_MS_HEADER};
use anyhow::{Context, bail};
use clap::Parser;
use futures::StreamExt;
use rand::Rng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

#[derive(Debug, Parser)]
#[command(about = "Load generator for agentrec-ingest")]
struct Args {
    /// Agent counts to run, in order.
    #[arg(long, value_delimiter = ',', default_value = "500,1000,2000")]
    agents: Vec<usize>,
    /// Seconds of measurement per step.
    #[arg(long, default_value_t = 40)]
    step_secs: u64,
    /// Size of a 10 s segment of the monitor the agent works on (AV1, screen content), KiB.
    #[arg(long, default_value_t = 150)]
    busy_video_kib: usize,
    /// Size of a 10 s segment of each of the other three, mostly static, monitors, KiB.
    #[arg(long, default_value_t = 40)]
    static_video_kib: usize,
    /// Seconds at the start of each step left out of the figures (every agent creates its
    /// recording and uploads five init segments then, all at once).
    #[arg(long, default_value_t = 10)]
    warmup_secs: u64,
    /// Size of a 10 s audio segment, KiB.
    #[arg(long, default_value_t = 30)]
    audio_kib: usize,
    /// The server binary (default: next to this one).
    #[arg(long)]
    server: Option<PathBuf>,
    /// Data directory (default: a temporary one, deleted at the end).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

/// A syntactically valid CMAF media segment of about `size` bytes: styp, moof (mfhd, traf
/// with moof-relative offsets and a tfdt), mdat of random bytes.
fn segment(size: usize) -> Vec<u8> {
    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }
    let mfhd = bx(b"mfhd", &[0, 0, 0, 0, 0, 0, 0, 1]);
    let tfhd = bx(b"tfhd", &[0, 2, 0, 0, 0, 0, 0, 1]);
    let tfdt = bx(b"tfdt", &[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let trun = bx(b"trun", &[0, 0, 0, 0, 0, 0, 0, 0]);
    let traf = bx(b"traf", &[tfhd, tfdt, trun].concat());
    let moof = bx(b"moof", &[mfhd, traf].concat());
    let mut payload = vec![0u8; size.saturating_sub(moof.len() + 40)];
    rand::rng().fill(&mut payload[..]);
    [bx(b"styp", b"msdhmsix"), moof, bx(b"mdat", &payload)].concat()
}

fn init(handler: &[u8; 4]) -> Vec<u8> {
    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }
    let mut mvhd = vec![0u8; 100];
    mvhd[15] = 1;
    let mut tkhd = vec![0u8; 84];
    tkhd[15] = 1;
    let mut mdhd = vec![0u8; 24];
    mdhd[12..16].copy_from_slice(&90_000u32.to_be_bytes());
    let mut hdlr = vec![0u8; 25];
    hdlr[8..12].copy_from_slice(handler);
    let mdia = bx(b"mdia", &[bx(b"mdhd", &mdhd), bx(b"hdlr", &hdlr)].concat());
    let trak = bx(b"trak", &[bx(b"tkhd", &tkhd), mdia].concat());
    let mut trex = vec![0u8; 24];
    trex[7] = 1;
    let mvex = bx(b"mvex", &bx(b"trex", &trex));
    [
        bx(b"ftyp", b"iso6\0\0\0\0iso6cmfc"),
        bx(b"moov", &[bx(b"mvhd", &mvhd), trak, mvex].concat()),
    ]
    .concat()
}

struct Payload {
    bytes: bytes::Bytes,
    sha: String,
}

impl Payload {
    fn new(bytes: Vec<u8>) -> Payload {
        let sha = hex::encode(Sha256::digest(&bytes));
        Payload {
            bytes: bytes.into(),
            sha,
        }
    }
}

#[derive(Default)]
struct Stats {
    latencies_us: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
    heartbeats: u64,
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn status_kib(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// /proc reports times in USER_HZ, which the Linux ABI fixes at 100 on every architecture
/// we run on (it is not the kernel's CONFIG_HZ).
fn ticks_per_second() -> f64 {
    100.0
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)] as f64 / 1000.0
}

struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let exe = std::env::current_exe()?;
    let server_bin = args
        .server
        .clone()
        .unwrap_or_else(|| exe.with_file_name("agentrec-ingest"));
    let temp = args.data_dir.is_none();
    let data = args.data_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("agentrec-bench-{}", uuid::Uuid::new_v4()))
    });
    let out = Command::new(&server_bin)
        .args(["bootstrap", "--email", "bench-admin@example.com"])
        .arg("--data-dir")
        .arg(&data)
        .output()
        .with_context(|| format!("running {}", server_bin.display()))?;
    if !out.status.success() {
        bail!("bootstrap: {}", String::from_utf8_lossy(&out.stderr));
    }
    let admin = String::from_utf8(out.stdout)?.trim().to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(&server_bin)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(&data)
        .env(
            "AGENTREC_LOG",
            std::env::var("AGENTREC_LOG").unwrap_or_else(|_| "warn".to_owned()),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let server = Server { child };
    let pid = server.child.id();
    let base = format!("http://127.0.0.1:{port}/api/v2");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(4096)
        .timeout(Duration::from_secs(30))
        .build()?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while client
        .get(format!("http://127.0.0.1:{port}/readyz"))
        .send()
        .await
        .is_err()
    {
        if Instant::now() > deadline {
            bail!("server not ready");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let max_agents = args.agents.iter().copied().max().unwrap_or(0);
    let setup = Instant::now();
    let devices: Vec<String> = futures::stream::iter(0..max_agents)
        .map(|i| enroll(&client, &base, &admin, i))
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
    eprintln!(
        "enrolled {max_agents} agents in {:.1} s",
        setup.elapsed().as_secs_f64()
    );

    let video = Arc::new([
        Payload::new(segment(args.busy_video_kib << 10)),
        Payload::new(segment(args.static_video_kib << 10)),
    ]);
    let audio = Arc::new(Payload::new(segment(args.audio_kib << 10)));
    let inits = Arc::new([Payload::new(init(b"vide")), Payload::new(init(b"soun"))]);

    println!(
        "| agents | uploads measured | uploads/s | p50 ms | p95 ms | p99 ms | max ms | errors | server CPU (% of one core) | server RSS MiB (peak) | load generator CPU |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let me = std::process::id();
    let mut best = None;
    for &n in &args.agents {
        let stats = Arc::new(Mutex::new(Stats::default()));
        let step = Duration::from_secs(args.step_secs);
        let start = Instant::now();
        let warmup = Duration::from_secs(args.warmup_secs);
        let ticks0 = cpu_ticks(pid).unwrap_or(0);
        let my_ticks0 = cpu_ticks(me).unwrap_or(0);
        let mut tasks = Vec::with_capacity(n);
        for device in devices.iter().take(n).cloned() {
            let (client, base, stats) = (client.clone(), base.clone(), stats.clone());
            let (video, audio, inits) = (video.clone(), audio.clone(), inits.clone());
            tasks.push(tokio::spawn(async move {
                agent(
                    client, base, device, video, audio, inits, stats, start, warmup, step,
                )
                .await
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
        let wall = start.elapsed().as_secs_f64();
        let measured = (wall - warmup.as_secs_f64()).max(1.0);
        let cpu = (cpu_ticks(pid).unwrap_or(0) - ticks0) as f64 / ticks_per_second() / wall * 100.0;
        let my_cpu =
            (cpu_ticks(me).unwrap_or(0) - my_ticks0) as f64 / ticks_per_second() / wall * 100.0;
        let rss = status_kib(pid, "VmRSS:").unwrap_or(0) as f64 / 1024.0;
        let hwm = status_kib(pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0;
        let mut s = stats
            .lock()
            .map_err(|_| anyhow::anyhow!("stats poisoned"))?;
        s.latencies_us.sort_unstable();
        let l = &s.latencies_us;
        let (p50, p95, p99, max) = (
            percentile(l, 0.5),
            percentile(l, 0.95),
            percentile(l, 0.99),
            percentile(l, 1.0),
        );
        println!(
            "| {n} | {} | {:.0} | {p50:.1} | {p95:.1} | {p99:.1} | {max:.0} | {} | {cpu:.0} | {rss:.0} ({hwm:.0}) | {my_cpu:.0} |",
            l.len(),
            l.len() as f64 / measured,
            s.errors
        );
        if let Some(e) = &s.first_error {
            eprintln!("first error at {n} agents: {e}");
        }
        eprintln!("{n} agents: {} heartbeats", s.heartbeats);
        if p99 < 250.0 && s.errors == 0 {
            best = Some(n);
        }
    }
    println!();
    println!(
        "largest N with p99 < 250 ms and no errors: {}",
        best.map_or("none".to_owned(), |n| n.to_string())
    );
    drop(server);
    if temp {
        let _ = std::fs::remove_dir_all(&data);
    }
    Ok(())
}

async fn enroll(
    client: &reqwest::Client,
    base: &str,
    admin: &str,
    i: usize,
) -> anyhow::Result<String> {
    let user: Value = client
        .post(format!("{base}/admin/users"))
        .bearer_auth(admin)
        .json(&json!({"email": format!("agent{i}@bench.example.com"), "name": format!("Agent {i}"), "role": "member"}))
        .send().await?.error_for_status()?.json().await?;
    let enrollment: Value = client
        .post(format!("{base}/admin/enrollment-tokens"))
        .bearer_auth(admin)
        .json(&json!({"user_id": user["id"]}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let enrolled: Value = client
        .post(format!("{base}/agent/enroll"))
        .bearer_auth(enrollment["token"].as_str().unwrap_or_default())
        .json(&json!({"hostname": format!("ws{i}"), "os": "Windows 11", "app_version": "0.1.0"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(enrolled["device_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

fn record(
    stats: &Mutex<Stats>,
    started: Instant,
    measure_from: Instant,
    result: Result<reqwest::StatusCode, String>,
) {
    let Ok(mut s) = stats.lock() else { return };
    match result {
        Ok(status) if status.is_success() => {
            if started >= measure_from {
                s.latencies_us.push(started.elapsed().as_micros() as u64);
            }
        }
        Ok(status) => {
            s.errors += 1;
            s.first_error.get_or_insert(format!("HTTP {status}"));
        }
        Err(e) => {
            s.errors += 1;
            s.first_error.get_or_insert(e);
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn agent(
    client: reqwest::Client,
    base: String,
    device: String,
    video: Arc<[Payload; 2]>,
    audio: Arc<Payload>,
    inits: Arc<[Payload; 2]>,
    stats: Arc<Mutex<Stats>>,
    start: Instant,
    warmup: Duration,
    step: Duration,
) {
    let measure_from = start + warmup;
    let period = Duration::from_secs(10);
    let (phase, beat_phase) = {
        let mut rng = rand::rng();
        (
            Duration::from_millis(rng.random_range(0..10_000)),
            Duration::from_millis(rng.random_range(0..30_000)),
        )
    };
    let id = uuid::Uuid::new_v4();
    let tracks: Vec<Value> = (1..=4)
        .map(|t| json!({"track": t, "codec": "av01.0.08M.08", "timescale": 90000, "start_ms": 0, "kind": "video",
            "monitor": format!("MON{t}"), "width": 1920, "height": 1080,
            "desktop": {"x": (t - 1) * 1920, "y": 0, "width": 1920, "height": 1080}, "primary": t == 1}))
        .chain(std::iter::once(json!({"track": 5, "codec": "opus", "timescale": 48000, "start_ms": 0, "kind": "audio", "sample_rate": 48000, "channels": 2})))
        .collect();
    let create = json!({"call_id": format!("bench-{id}"), "acd": true, "queue": "bench", "started_at_ms": 1_700_000_000_000i64, "tracks": tracks});
    tokio::time::sleep(phase).await;
    if start.elapsed() >= step {
        return;
    }
    let t0 = Instant::now();
    let r = client
        .put(format!("{base}/agent/recordings/{id}"))
        .bearer_auth(&device)
        .json(&create)
        .send()
        .await;
    record(
        &stats,
        t0,
        measure_from,
        r.map(|r| r.status()).map_err(|e| e.to_string()),
    );
    for track in 1..=5u32 {
        let init = &inits[usize::from(track == 5)];
        let t0 = Instant::now();
        let r = client
            .put(format!("{base}/agent/recordings/{id}/tracks/{track}/init"))
            .bearer_auth(&device)
            .header("content-type", "video/mp4")
            .header(SHA256_HEADER, &init.sha)
            .body(init.bytes.clone())
            .send()
            .await;
        record(
            &stats,
            t0,
            measure_from,
            r.map(|r| r.status()).map_err(|e| e.to_string()),
        );
    }
    let mut next_beat = start + beat_phase;
    let mut seq = 0u32;
    let mut next_upload = Instant::now();
    loop {
        let now = Instant::now();
        if now.duration_since(start) >= step {
            return;
        }
        if now >= next_beat {
            let r = client
                .post(format!("{base}/agent/heartbeat"))
                .bearer_auth(&device)
                .json(&json!({"app_version": "0.1.0", "os": "Windows 11", "recorder_state": "recording", "spool_bytes": 0}))
                .send()
                .await;
            if let Ok(mut s) = stats.lock() {
                s.heartbeats += 1;
                if !r.as_ref().is_ok_and(|r| r.status().is_success()) {
                    s.errors += 1;
                    s.first_error
                        .get_or_insert(format!("heartbeat: {:?}", r.map(|r| r.status())));
                }
            }
            next_beat += Duration::from_secs(30);
        }
        if Instant::now() >= next_upload {
            seq += 1;
            for track in 1..=5u32 {
                let p = match track {
                    5 => &*audio,
                    1 => &video[0],
                    _ => &video[1],
                };
                let t0 = Instant::now();
                let r = client
                    .put(format!(
                        "{base}/agent/recordings/{id}/tracks/{track}/segments/{seq}"
                    ))
                    .bearer_auth(&device)
                    .header("content-type", "video/iso.segment")
                    .header(SHA256_HEADER, &p.sha)
                    .header(START_MS_HEADER, u64::from(seq - 1) * 10_000)
                    .header(DURATION_MS_HEADER, 10_000)
                    .body(p.bytes.clone())
                    .send()
                    .await;
                record(
                    &stats,
                    t0,
                    measure_from,
                    r.map(|r| r.status()).map_err(|e| e.to_string()),
                );
            }
            next_upload += period;
        }
        let wake = next_upload.min(next_beat).min(start + step);
        tokio::time::sleep_until(wake.into()).await;
    }
}
