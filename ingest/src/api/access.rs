//! Who may see, download and edit which recording.
//!
//! - admin: every recording;
//! - supervisor: recordings of agents in the teams they oversee;
//! - member (agent): their own, only if the policy's `access.agents_view_own` is on (off by
//!   default, as Genesys);
//! - integration accounts and device tokens: none (they use their own endpoints).
//!
//! Downloading also needs the policy's `access.download` flag for the caller's role. A
//! recording the caller may not see answers 404, so ids of others' recordings cannot be probed;
//! a permission the caller lacks on a recording they can see answers 403.

use agentrec_core::Policy;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Principal;
use crate::db::recordings::{RecordingRow, Visibility};
use crate::db::users::{Role, TokenKind};
use crate::error::ApiError;

/// What the caller wants to do with a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read its metadata or play it.
    View,
    /// Download the file.
    Download,
    /// Change title, summary, description, legal hold; delete.
    Edit,
}

/// The recordings the caller may list.
pub async fn visibility(state: &AppState, p: &Principal) -> Result<Visibility, ApiError> {
    if p.kind != TokenKind::Api {
        return Err(ApiError::Forbidden(
            "device and enrollment tokens cannot use the recordings API".to_owned(),
        ));
    }
    match p.user.role {
        Role::Admin => Ok(Visibility::All),
        Role::Supervisor => Ok(Visibility::Teams(
            state.db.supervised_teams(p.user.id).await?,
        )),
        Role::Member => {
            if policy_for(state, p.user.team_id).access.agents_view_own {
                Ok(Visibility::Own(p.user.id))
            } else {
                Err(ApiError::Forbidden(
                    "agents may not view recordings (policy access.agents_view_own is off)"
                        .to_owned(),
                ))
            }
        }
        Role::Integration => Err(ApiError::Forbidden(
            "integration accounts cannot read recordings".to_owned(),
        )),
    }
}

fn policy_for(state: &AppState, team: Option<Uuid>) -> Policy {
    state.hub.policies().effective(team).clone()
}

fn sees(visibility: &Visibility, row: &RecordingRow) -> bool {
    match visibility {
        Visibility::All => true,
        Visibility::Own(user) => row.owner.id == *user,
        Visibility::Teams(teams) => row.owner.team_id.is_some_and(|t| teams.contains(&t)),
    }
}

/// Loads a recording the caller may act on, or says why not.
pub async fn recording(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    access: Access,
) -> Result<RecordingRow, ApiError> {
    let visibility = visibility(state, p).await?;
    let row = state
        .db
        .recording(id)
        .await?
        .filter(|row| sees(&visibility, row))
        .ok_or_else(ApiError::recording_not_found)?;
    match access {
        Access::View => {}
        Access::Edit => {
            if p.user.role != Role::Admin {
                return Err(ApiError::Forbidden(
                    "only admins may change recordings".to_owned(),
                ));
            }
        }
        Access::Download => {
            let download = policy_for(state, row.owner.team_id).access.download;
            let allowed = match p.user.role {
                Role::Admin => download.admin,
                Role::Supervisor => download.supervisor,
                Role::Member => download.agent,
                Role::Integration => false,
            };
            if !allowed {
                return Err(ApiError::Forbidden(format!(
                    "policy does not let the {} role download recordings (view only)",
                    p.user.role.as_str()
                )));
            }
        }
    }
    Ok(row)
}

/// What the caller may do with a recording they can see (the viewer shows only these actions).
pub fn actions(
    state: &AppState,
    p: &Principal,
    row: &RecordingRow,
) -> super::model::RecordingActions {
    let download = policy_for(state, row.owner.team_id).access.download;
    let admin = p.kind == TokenKind::Api && p.user.role == Role::Admin;
    super::model::RecordingActions {
        download: p.kind == TokenKind::Api
            && match p.user.role {
                Role::Admin => download.admin,
                Role::Supervisor => download.supervisor,
                Role::Member => download.agent,
                Role::Integration => false,
            },
        edit: admin,
        share: admin,
        bookmark: p.kind == TokenKind::Api,
    }
}
