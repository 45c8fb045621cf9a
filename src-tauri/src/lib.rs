//! The agentrec agent app: a tray app that runs the Recorder (`agentrec-core`) for one agent
//! workstation and connects it to the world.
//!
//! - [`recorder_task`] owns the Recorder; everything talks to it through a `RecorderHandle`.
//! - Seams: [`capture_port`] (capture pipeline), [`recording_sink`] (uploader), [`ui_port`]
//!   (what the agent sees); [`pipeline`] implements the first two over `agentrec-capture`'s
//!   sessions and encrypted spool, [`server_link`] enrolls, follows the server's event stream,
//!   beats and runs `agentrec-uploader`.
//! - [`local_api`]: HTTP on 127.0.0.1 for softphones, CTI toolbars and browser apps.
//! - [`config`], [`paths`], [`enrollment`], [`secrets`], [`policy_cache`], [`startup`]: what
//!   the app knows at start and keeps between runs.
//! - [`shell`], [`tray`], [`windows`], [`notify`], [`commands`]: the Tauri side.
//! - [`status`]: what the app shows of itself.
//! - [`viewer`]: the supervisor viewer window and its sign-in (API token in the keyring).

pub mod capture_port;
pub mod commands;
pub mod config;
pub mod enrollment;
mod fsutil;
pub mod local_api;
pub mod notify;
pub mod paths;
pub mod pipeline;
pub mod policy_cache;
pub mod recorder_task;
pub mod recording_sink;
pub mod secrets;
pub mod server_link;
pub mod shell;
pub mod startup;
pub mod status;
pub mod tray;
pub mod ui_port;
pub mod viewer;
pub mod windows;
