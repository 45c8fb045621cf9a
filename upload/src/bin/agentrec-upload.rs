//! `agentrec-upload`: uploads and finalizes everything in a spool directory, as the app's
//! uploader does — for recordings made with `agentrec-capture record`, for fixtures, and for
//! IT rescuing the spool of a workstation that cannot run the app.
//!
//! Not while another process writes to the same spool: each process keeps its own copy of the
//! manifests.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use agentrec_capture::spool::{Spool, SpoolKey};
use agentrec_core::recorder::{EndReason, Outcome};
use agentrec_core::wire::{CallMetadata, EnrollRequest};
use agentrec_uploader::backoff::Backoff;
use agentrec_uploader::interrupted::finalize_from_spool;
use agentrec_uploader::{AgentClient, ErrorKind, Uploader, UploaderConfig};
use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};

#[derive(Parser)]
#[command(
    version,
    about = "Upload and finalize every recording of an agentrec spool to an ingest server"
)]
struct Cli {
    /// The spool directory.
    #[arg(long)]
    spool: PathBuf,
    /// The spool key as 64 hex digits (default: --key-file, else `<spool>/spool.key`).
    #[arg(long, env = "AGENTREC_SPOOL_KEY", hide_env_values = true)]
    key_hex: Option<String>,
    /// A file holding the spool key as 64 hex digits.
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// The ingest server, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "AGENTREC_SERVER")]
    server: String,
    /// A device credential (from the app's enrollment, or printed by --enrollment-token).
    #[arg(long, env = "AGENTREC_DEVICE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Enroll first with this one-time enrollment token; the device credential is printed on
    /// stderr for later runs.
    #[arg(long, conflicts_with = "token")]
    enrollment_token: Option<String>,
    /// One pass, no waiting and retrying: exit 1 if anything is left.
    #[arg(long)]
    once: bool,
    /// Call title of recordings that have no call details (CLI recordings).
    #[arg(long)]
    call_title: Option<String>,
    /// Queue of recordings that have no call details.
    #[arg(long)]
    queue: Option<String>,
    /// How to finalize recordings that were never finalized (`agentrec-capture record`
    /// leaves them open; the app's after a crash).
    #[arg(long, value_enum, default_value = "complete")]
    open_as: OpenAs,
    /// Segment uploads in flight at most.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Give up retrying after this long (without --once).
    #[arg(long, default_value_t = 600)]
    timeout_secs: u64,
}

#[derive(Clone, Copy, ValueEnum)]
enum OpenAs {
    /// Complete, ended because the call ended.
    Complete,
    /// Partial, interrupted.
    Partial,
    /// Leave them open: upload their segments, do not finalize.
    Skip,
}

fn key(cli: &Cli) -> anyhow::Result<SpoolKey> {
    let text = match (&cli.key_hex, &cli.key_file) {
        (Some(hex), _) => hex.clone(),
        (None, Some(path)) => {
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
        }
        (None, None) => {
            let path = cli.spool.join("spool.key");
            std::fs::read_to_string(&path)
                .with_context(|| format!("no --key-hex or --key-file, and no {}", path.display()))?
        }
    };
    SpoolKey::from_hex(text.trim()).context("the spool key must be 64 hex digits")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AGENTREC_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("agentrec-upload: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let (spool, report) = Spool::open(&cli.spool, key(&cli)?, None)
        .with_context(|| format!("opening the spool {}", cli.spool.display()))?;
    if !report.unreadable.is_empty() {
        // Nothing of a recording whose manifest cannot be opened can be sent: say so rather
        // than report an empty spool as done.
        bail!(
            "{} spool files are unreadable with this key (wrong key?): {:?}",
            report.unreadable.len(),
            report.unreadable
        );
    }
    let mut client = AgentClient::new(&cli.server, cli.token.clone())?;
    if let Some(enrollment) = &cli.enrollment_token {
        let answer = client
            .enroll(
                enrollment,
                &EnrollRequest {
                    hostname: gethostname::gethostname().to_string_lossy().into_owned(),
                    os: os_info::get().to_string(),
                    app_version: format!("agentrec-upload {}", env!("CARGO_PKG_VERSION")),
                },
            )
            .await
            .context("enrolling")?;
        eprintln!(
            "enrolled for {} as device {}; device token (use --token next time): {}",
            answer.user.email, answer.device_id, answer.device_token
        );
        client = client.with_device_token(answer.device_token);
    }
    if !client.has_device_token() {
        bail!("pass --token DEVICE_TOKEN or --enrollment-token TOKEN");
    }
    prepare(&cli, &spool)?;

    let config = UploaderConfig {
        concurrency: cli.concurrency,
        ..UploaderConfig::default()
    };
    let (mut uploader, handle) = Uploader::new(spool.clone(), client, config.clone());
    let deadline = Instant::now() + Duration::from_secs(cli.timeout_secs);
    let mut backoff = Backoff::new(config.backoff_base, config.backoff_max);
    loop {
        match uploader.pass().await {
            Ok(report) => {
                for f in &report.finalized {
                    #[allow(clippy::print_stdout)]
                    {
                        println!("{}", serde_json::to_string(f)?);
                    }
                }
                let progress = handle.progress();
                let stuck = !progress.rejected.is_empty();
                let open_left = spool.recordings().iter().any(|m| m.finalized.is_none());
                if report.remaining == 0 || cli.once || stuck || report.uploaded_files == 0 {
                    for r in &progress.rejected {
                        eprintln!("refused by the server: {r}");
                    }
                    eprintln!(
                        "{} files uploaded, {} recordings finalized, {} left in the spool{}",
                        progress.uploaded_files,
                        progress.finalized,
                        report.remaining,
                        if open_left { " (some still open)" } else { "" }
                    );
                    let done = report.remaining == 0 || (open_left && !stuck);
                    return Ok(if done && !stuck {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    });
                }
                backoff.reset();
            }
            Err(e) if e.kind() == ErrorKind::Unauthorized => {
                bail!("the server refused the device credential: {e}")
            }
            Err(e) => {
                if cli.once || Instant::now() >= deadline {
                    eprintln!("giving up: {e}");
                    return Ok(ExitCode::FAILURE);
                }
                let delay = backoff.next_delay(e.retry_after(), rand::random::<f64>());
                eprintln!("{e}; retrying in {:.1} s", delay.as_secs_f64());
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// Call details for recordings without any, and a finalize for open ones, as asked.
fn prepare(cli: &Cli, spool: &Spool) -> anyhow::Result<()> {
    for m in spool.recordings() {
        if m.metadata.is_none() && (cli.call_title.is_some() || cli.queue.is_some()) {
            spool.set_metadata(
                m.recording,
                CallMetadata {
                    call_title: cli.call_title.clone(),
                    queue: cli.queue.clone(),
                    ..CallMetadata::default()
                },
            )?;
        }
        if m.finalized.is_none() && !m.discarded {
            let (outcome, reason) = match cli.open_as {
                OpenAs::Complete => (Outcome::Complete, EndReason::CallEnded),
                OpenAs::Partial => (Outcome::Partial, EndReason::Interrupted),
                OpenAs::Skip => continue,
            };
            spool.finalize(finalize_from_spool(&m, outcome, reason, Vec::new()))?;
        }
    }
    Ok(())
}
