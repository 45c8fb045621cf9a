//! Typed errors of the capture pipeline: what a source, an encoder or the spool can fail with.

use std::io;
use std::path::PathBuf;

use agentrec_core::MonitorId;

/// Why a screen or audio source failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The OS refused access (screen-recording or microphone permission).
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// The monitor is no longer connected.
    #[error("monitor {0} is gone")]
    MonitorGone(MonitorId),
    /// The audio device is no longer available.
    #[error("audio device {0} is gone")]
    DeviceGone(String),
    /// This machine or display server cannot do it (no X server, missing extension, …).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The backend failed in some other way.
    #[error("capture backend: {0}")]
    Backend(String),
}

/// Why an encoder failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The settings were refused (size, rate, …).
    #[error("encoder configuration: {0}")]
    Config(String),
    /// The encoder failed while encoding.
    #[error("encoder: {0}")]
    Failed(String),
}

/// Why the spool could not store or read something.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// The disk (or the spool's filesystem) is full: nothing partial was left behind.
    #[error("disk full while writing {path}")]
    DiskFull {
        /// The file that could not be written.
        path: PathBuf,
    },
    /// Writing would exceed the spool's quota.
    #[error("spool quota exceeded: {used_bytes} + {needed_bytes} bytes > {quota_bytes}")]
    QuotaExceeded {
        /// Bytes in the spool now.
        used_bytes: u64,
        /// Bytes the write needs.
        needed_bytes: u64,
        /// The quota.
        quota_bytes: u64,
    },
    /// A spooled file failed authentication: wrong key, or it was tampered with.
    #[error("cannot decrypt {path}: wrong key or corrupt file")]
    Decrypt {
        /// The file.
        path: PathBuf,
    },
    /// A spooled file or manifest is not in the expected format.
    #[error("corrupt spool file {path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The recording, track or segment is not in the spool.
    #[error("not in the spool: {0}")]
    NotFound(String),
    /// Any other I/O error.
    #[error("spool I/O on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

impl SpoolError {
    /// Wraps an I/O error, recognising a full disk.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> SpoolError {
        let path = path.into();
        if source.raw_os_error() == Some(libc::ENOSPC)
            || source.raw_os_error() == Some(libc::EDQUOT)
            || source.kind() == io::ErrorKind::StorageFull
        {
            SpoolError::DiskFull { path }
        } else {
            SpoolError::Io { path, source }
        }
    }

    /// Whether this error means "no room left" (disk full or quota reached).
    pub fn is_out_of_space(&self) -> bool {
        matches!(
            self,
            SpoolError::DiskFull { .. } | SpoolError::QuotaExceeded { .. }
        )
    }
}

/// Why a capture session could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// A source failed.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// An encoder failed.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The spool failed (disk full, quota, I/O).
    #[error(transparent)]
    Spool(#[from] SpoolError),
    /// The settings cannot be honoured.
    #[error("invalid capture settings: {0}")]
    InvalidSettings(String),
    /// The session has already stopped.
    #[error("the capture session has stopped")]
    Stopped,
    /// The session is busy: its command queue is full.
    #[error("the capture session is busy")]
    Busy,
    /// A pipeline thread could not be started.
    #[error("cannot start a capture thread: {0}")]
    Thread(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enospc_is_disk_full() {
        let err = SpoolError::io("/x", io::Error::from_raw_os_error(libc::ENOSPC));
        assert!(matches!(err, SpoolError::DiskFull { .. }));
        assert!(err.is_out_of_space());
        let err = SpoolError::io("/x", io::Error::from_raw_os_error(libc::EACCES));
        assert!(!err.is_out_of_space());
    }
}
