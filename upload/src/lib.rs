//! The uploader of agentrec: it sends what the capture pipeline leaves in the encrypted spool
//! to the ingest server, while the call goes on.
//!
//! - [`client`]: the HTTP client of the agent endpoints (enroll, heartbeat, policy, the event
//!   stream's request, recordings, tracks, init/media segments, posters, status, finalize),
//!   with typed errors ([`ClientError`]: transient, permanent, unauthorized, conflict).
//! - [`uploader`]: the engine. One pass per wake-up over every spooled recording: ask the
//!   server what it holds (resume after a restart), register tracks, upload init and media
//!   segments with bounded concurrency, posters, then finalize with the last segment numbers
//!   and remove the recording from the spool. A spooled file is deleted only once the server
//!   acknowledged it. Transient failures back off ([`backoff`]: exponential with jitter,
//!   `Retry-After` honoured) and the pass starts again.
//! - [`interrupted`]: how a recording the app never finished (crash, kill -9, reboot) is
//!   finalized from its spool manifest.
//!
//! The `agentrec-upload` binary uploads and finalizes everything in a spool directory.
#![deny(missing_docs)]

pub mod backoff;
pub mod client;
pub mod error;
pub mod interrupted;
pub mod uploader;

pub use client::AgentClient;
pub use error::{ClientError, ErrorKind, UploadError};
pub use uploader::{UploadProgress, Uploader, UploaderConfig, UploaderHandle};
