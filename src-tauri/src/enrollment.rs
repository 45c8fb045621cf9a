//! Where this workstation enrolls, and whether it has: decided from the managed config, the
//! first-run window's entry and the device credential in the keyring.
//!
//! The exchange of the enrollment token for a device credential is the server link's
//! (`server_link`); until it has happened a known server is `Pending`.

use crate::config::{ConfigError, ManagedLoad, UserEnrollment};
use crate::secrets::Secrets;
use crate::status::{EnrollmentSource, EnrollmentStatus};

/// Why enrollment is pending before the server link has tried.
pub const NO_SERVER_LINK: &str = "connecting to the server";

/// Where to enroll, as far as the files say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentTarget {
    /// The ingest server.
    pub server_url: String,
    /// Managed config or first-run window.
    pub source: EnrollmentSource,
}

/// Finds the enrollment target: the managed config wins; without one, the user's entry.
/// `Err` carries the status to show when there is no usable target.
pub fn target(
    managed: &ManagedLoad,
    user: Result<Option<UserEnrollment>, ConfigError>,
) -> Result<EnrollmentTarget, EnrollmentStatus> {
    match managed {
        ManagedLoad::Loaded { config, .. } => match &config.server_url {
            Some(url) => Ok(EnrollmentTarget {
                server_url: url.clone(),
                source: EnrollmentSource::Managed,
            }),
            None => Err(EnrollmentStatus::Failed {
                detail: "the managed config has no server_url".to_owned(),
            }),
        },
        // IT manages this machine: the agent is not asked to fix IT's file.
        ManagedLoad::Broken(_) => Err(EnrollmentStatus::Failed {
            detail: "the managed config cannot be used (see the configuration problem)".to_owned(),
        }),
        ManagedLoad::Absent => match user {
            Ok(Some(u)) => Ok(EnrollmentTarget {
                server_url: u.server_url,
                source: EnrollmentSource::User,
            }),
            Ok(None) => Err(EnrollmentStatus::NeedsInput),
            Err(e) => Err(EnrollmentStatus::Failed {
                detail: e.to_string(),
            }),
        },
    }
}

/// The enrollment status for `target`, given what the keyring holds.
pub fn status(target: &EnrollmentTarget, secrets: &Secrets) -> EnrollmentStatus {
    match secrets.device_credential() {
        Ok(Some(_)) => EnrollmentStatus::Enrolled {
            server_url: target.server_url.clone(),
            source: target.source,
        },
        Ok(None) => EnrollmentStatus::Pending {
            server_url: target.server_url.clone(),
            source: target.source,
            detail: NO_SERVER_LINK.to_owned(),
        },
        Err(e) => EnrollmentStatus::Failed {
            detail: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ManagedConfig;

    #[test]
    fn managed_config_wins_over_the_users_entry() {
        let managed = ManagedLoad::Loaded {
            config: ManagedConfig {
                server_url: Some("https://a.example".into()),
                ..ManagedConfig::default()
            },
            warnings: vec![],
        };
        let user = Ok(Some(UserEnrollment {
            server_url: "https://b.example".into(),
        }));
        assert_eq!(
            target(&managed, user),
            Ok(EnrollmentTarget {
                server_url: "https://a.example".into(),
                source: EnrollmentSource::Managed
            })
        );
    }

    #[test]
    fn nothing_configured_asks_the_agent() {
        assert_eq!(
            target(&ManagedLoad::Absent, Ok(None)),
            Err(EnrollmentStatus::NeedsInput)
        );
    }

    #[test]
    fn a_broken_managed_config_never_asks_the_agent() {
        let broken = ManagedLoad::Broken(ConfigError::Invalid {
            path: "/etc/agentrec/agent.toml".into(),
            message: "expected `=`".into(),
        });
        let Err(EnrollmentStatus::Failed { detail }) = target(&broken, Ok(None)) else {
            panic!()
        };
        assert!(detail.contains("managed config cannot be used"), "{detail}");
    }
}
