//! The last policy the server pushed, kept on disk so that the org's policy applies from
//! start-up even when the server cannot be reached. The SSE client writes it on every
//! snapshot; the app reads it once at start.

use std::io;
use std::path::{Path, PathBuf};

use agentrec_core::Policy;

const FILE: &str = "policy.json";

/// Why the cached policy could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyCacheError {
    /// The file exists but cannot be read.
    #[error("cannot read the policy cache {path}: {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// The file is not a policy (torn write by another tool, hand edit).
    #[error("the policy cache {path} is invalid: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The policy could not be written.
    #[error("cannot write the policy cache {path}: {source}")]
    Unwritable {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
}

/// The policy cache in a data directory.
#[derive(Debug, Clone)]
pub struct PolicyCache {
    path: PathBuf,
}

impl PolicyCache {
    /// The cache inside `data_dir`.
    pub fn new(data_dir: &Path) -> Self {
        PolicyCache {
            path: data_dir.join(FILE),
        }
    }

    /// Its file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cached policy; `None` when nothing was ever cached.
    pub fn load(&self) -> Result<Option<Policy>, PolicyCacheError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(PolicyCacheError::Unreadable {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        // Lenient, as agents read server documents: a newer server's extra fields are ignored.
        let policy: Policy =
            serde_json::from_str(&text).map_err(|e| PolicyCacheError::Invalid {
                path: self.path.clone(),
                message: e.to_string(),
            })?;
        policy.validate().map_err(|e| PolicyCacheError::Invalid {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        Ok(Some(policy))
    }

    /// Replaces the cached policy (crash-safe).
    pub fn store(&self, policy: &Policy) -> Result<(), PolicyCacheError> {
        let unwritable = |source| PolicyCacheError::Unwritable {
            path: self.path.clone(),
            source,
        };
        let json =
            serde_json::to_vec_pretty(policy).map_err(|e| unwritable(io::Error::other(e)))?;
        crate::fsutil::write_atomic(&self.path, &json, false).map_err(unwritable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentrec_core::RecordingMode;

    #[test]
    fn empty_cache_then_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let cache = PolicyCache::new(dir.path());
        assert_eq!(cache.load().unwrap(), None);
        let policy = Policy {
            version: 7,
            mode: RecordingMode::OnDemandUis,
            ..Policy::default()
        };
        cache.store(&policy).unwrap();
        assert_eq!(cache.load().unwrap(), Some(policy));
    }

    #[test]
    fn invalid_cache_is_an_error_not_a_default() {
        let dir = tempfile::tempdir().unwrap();
        let cache = PolicyCache::new(dir.path());
        std::fs::write(cache.path(), "{\"mode\": \"sometimes\"}").unwrap();
        let err = cache.load().unwrap_err();
        assert!(err.to_string().contains("sometimes"), "{err}");
        std::fs::write(cache.path(), "{\"capture\": {\"max_monitors\": 9}}").unwrap();
        let err = cache.load().unwrap_err();
        assert!(err.to_string().contains("max_monitors"), "{err}");
    }

    #[test]
    fn a_newer_servers_fields_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = PolicyCache::new(dir.path());
        std::fs::write(
            cache.path(),
            r#"{"version": 3, "mode": "on_demand", "new_thing": {"a": 1}}"#,
        )
        .unwrap();
        assert_eq!(cache.load().unwrap().unwrap().mode, RecordingMode::OnDemand);
    }
}
