//! agentrec agent app: the binary's edge. Logging, arguments, then the Tauri shell.

// No console window on Windows release builds: this is a tray app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::io::IsTerminal;

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AGENTREC_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for people; logs collected by IT tools stay plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let args = agentrec_app::shell::Args::parse(std::env::args().skip(1));
    agentrec_app::shell::run(args)
}
