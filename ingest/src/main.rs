//! `agentrec-ingest`: the ingest server's command line.
//!
//! - `serve`: run the server (config from flags, `AGENTREC_*` environment, `--config` file);
//! - `bootstrap`: create an admin (or any user) in the catalog and print an API token;
//! - `simulate-call`: post a scripted call's CTI events for an agent to a running server.

mod cli;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "agentrec-ingest", version, about = "agentrec ingest server")]
struct Cli {
    /// Config file (TOML, keys named like the flags); flags and environment win over it.
    #[arg(long, global = true, env = "AGENTREC_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(agentrec_ingest::config::Config),
    /// Create a user in the catalog and print an API token for it.
    Bootstrap(cli::bootstrap::Args),
    /// Post a scripted call's events for an agent to a running server.
    SimulateCall(cli::simulate::Args),
}

fn main() -> anyhow::Result<()> {
    // The config file only fills in environment variables that are not set, so it has to be
    // read before clap looks at the environment.
    if let Some(path) = config_file_arg() {
        for (key, value) in agentrec_ingest::config::read_file(&path)? {
            if std::env::var_os(&key).is_none() {
                // SAFETY: single-threaded here; no other thread reads the environment yet.
                #[allow(unsafe_code)]
                unsafe {
                    std::env::set_var(key, value)
                };
            }
        }
    }
    let cli = Cli::parse();
    let _ = cli.config;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(config) => cli::serve::run(config).await,
            Command::Bootstrap(args) => cli::bootstrap::run(args).await,
            Command::SimulateCall(args) => cli::simulate::run(args).await,
        }
    })
}

fn config_file_arg() -> Option<PathBuf> {
    let mut args = std::env::args_os().skip(1);
    while let Some(a) = args.next() {
        if a == "--config" {
            return args.next().map(PathBuf::from);
        }
        if let Some(v) = a.to_str().and_then(|s| s.strip_prefix("--config=")) {
            return Some(PathBuf::from(v));
        }
    }
    std::env::var_os("AGENTREC_CONFIG").map(PathBuf::from)
}
