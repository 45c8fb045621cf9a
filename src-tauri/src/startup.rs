//! What the app reads before anything runs: managed config, user enrollment, keyring, policy
//! cache. Every problem becomes a line in the status (and the log); none stops the app.

use std::path::PathBuf;

use agentrec_core::Policy;

use crate::config::{self, LocalApiConfig, ManagedLoad};
use crate::enrollment;
use crate::paths;
use crate::policy_cache::PolicyCache;
use crate::secrets::{Secrets, SpoolKey};
use crate::status::{AgentStatus, PolicySource, ServerStatus};

/// Everything start-up found.
#[derive(Debug)]
pub struct Startup {
    /// The per-user data directory, if there is one.
    pub data_dir: Option<PathBuf>,
    /// Whether a managed config exists (usable or not).
    pub managed: bool,
    /// Local API settings.
    pub local_api: LocalApiConfig,
    /// Whether to register for start at login.
    pub autostart: bool,
    /// The policy the Recorder starts with.
    pub policy: Policy,
    /// The keyring.
    pub secrets: Secrets,
    /// The spool key, when the keyring gave one (handed to the capture pipeline).
    pub spool_key: Option<SpoolKey>,
    /// Where to enroll, when known.
    pub target: Option<enrollment::EnrollmentTarget>,
    /// The managed config's enrollment token.
    pub managed_token: Option<String>,
    /// The spool quota (managed config), bytes.
    pub spool_quota_bytes: Option<u64>,
}

/// Reads everything and fills in `status`.
pub fn load(status: &mut AgentStatus) -> Startup {
    let mut problems: Vec<String> = Vec::new();
    let managed_path = paths::managed_config();
    let managed = config::load_managed(&managed_path);
    let (local_api, autostart_setting, managed_token, quota_mb) = match &managed {
        ManagedLoad::Loaded { config, warnings } => {
            for w in warnings {
                tracing::warn!(path = %managed_path.display(), "{w}");
                problems.push(format!("{}: {w}", managed_path.display()));
            }
            (
                config.local_api.clone(),
                config.autostart,
                config.enrollment_token.clone(),
                config.spool_quota_mb,
            )
        }
        ManagedLoad::Broken(e) => {
            tracing::error!(error = %e, "managed config unusable; running on defaults");
            problems.push(e.to_string());
            (LocalApiConfig::default(), None, None, None)
        }
        ManagedLoad::Absent => {
            tracing::info!(path = %managed_path.display(), "no managed config");
            (LocalApiConfig::default(), None, None, None)
        }
    };

    let data_dir = paths::data_dir();
    match &data_dir {
        Some(dir) => {
            if let Err(e) = std::fs::create_dir_all(dir) {
                problems.push(format!("cannot create {}: {e}", dir.display()));
            }
        }
        None => problems.push("no per-user data directory (HOME unset?)".to_owned()),
    }

    let secrets = Secrets::open();
    tracing::info!(backend = secrets.backend(), "keyring");
    let spool_key = match secrets.spool_key_or_create() {
        Ok(key) => Some(key),
        Err(e) => {
            tracing::error!(error = %e, "no spool key");
            status.last_problem = Some(format!("no spool encryption key: {e}"));
            None
        }
    };

    let user = match &data_dir {
        Some(dir) => config::load_user_enrollment(dir),
        None => Ok(None),
    };
    let target = match enrollment::target(&managed, user) {
        Ok(target) => {
            status.server = ServerStatus::NotConnected {
                url: target.server_url.clone(),
                detail: enrollment::NO_SERVER_LINK.to_owned(),
            };
            status.enrollment = enrollment::status(&target, &secrets);
            Some(target)
        }
        Err(enrollment_status) => {
            status.enrollment = enrollment_status;
            None
        }
    };

    let policy = match data_dir.as_deref().map(PolicyCache::new).map(|c| c.load()) {
        Some(Ok(Some(policy))) => {
            tracing::info!(version = policy.version, mode = %policy.mode, "policy from cache");
            status.policy_source = PolicySource::Cache;
            policy
        }
        Some(Err(e)) => {
            tracing::error!(error = %e, "policy cache unusable; built-in default policy");
            problems.push(e.to_string());
            Policy::default()
        }
        Some(Ok(None)) | None => {
            tracing::info!("no policy received yet; built-in default policy");
            Policy::default()
        }
    };

    if !problems.is_empty() {
        status.config_error = Some(problems.join("; "));
    }
    Startup {
        data_dir,
        managed: !matches!(managed, ManagedLoad::Absent),
        local_api,
        // Registering a debug binary for login would surprise developers; installed
        // (release) builds register unless IT says otherwise.
        autostart: autostart_setting.unwrap_or(!cfg!(debug_assertions)),
        policy,
        secrets,
        spool_key,
        target,
        managed_token,
        spool_quota_bytes: Some(
            quota_mb
                .unwrap_or(DEFAULT_SPOOL_QUOTA_MB)
                .saturating_mul(1 << 20),
        ),
    }
}

/// The spool quota without a managed setting: 10 GiB (about 150 hours of typical calls).
pub const DEFAULT_SPOOL_QUOTA_MB: u64 = 10 * 1024;
