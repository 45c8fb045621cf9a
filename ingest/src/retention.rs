//! Retention: deletes recordings older than the policy allows (separate periods for live
//! sessions and other recordings, per the owner's team policy), except those on legal hold.
//! Every deletion is logged and audited.
//!
//! A deletion first marks the recording `deleting` (hidden from the API), then removes its
//! objects, then its rows: a crash in between leaves a marked recording that the next run
//! finishes, never a row that claims an object that is gone.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::clock::now_ms;
use crate::error::ApiError;

const DAY_MS: i64 = 86_400_000;

/// What a retention run did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RetentionReport {
    /// Recordings deleted.
    pub deleted: Vec<Uuid>,
    /// Objects deleted.
    pub objects: usize,
}

/// Runs retention once.
pub async fn run(state: &AppState) -> Result<RetentionReport, ApiError> {
    let set = state.db.policy_set().await?;
    let now = now_ms();
    let mut report = RetentionReport {
        deleted: Vec::new(),
        objects: 0,
    };
    for id in state.db.recordings_being_deleted().await? {
        report.objects += delete(state, id, "system", "retention (resumed)").await?;
        report.deleted.push(id);
    }
    let shortest_days = std::iter::once(&set.org)
        .chain(set.teams.values())
        .flat_map(|p| [p.retention.live_days, p.retention.other_days])
        .flatten()
        .min();
    let Some(shortest_days) = shortest_days else {
        return Ok(report);
    };
    let horizon = now - i64::from(shortest_days) * DAY_MS;
    for (id, live, team, created_at) in state.db.retention_candidates(horizon).await? {
        let retention = set.effective(team).retention;
        let days = if live {
            retention.live_days
        } else {
            retention.other_days
        };
        if days.is_some_and(|d| created_at < now - i64::from(d) * DAY_MS) {
            report.objects += delete(state, id, "system", "retention").await?;
            report.deleted.push(id);
        }
    }
    Ok(report)
}

/// Deletes a recording: objects, then rows; audited with `actor` and `reason`.
pub async fn delete(
    state: &AppState,
    id: Uuid,
    actor: &str,
    reason: &str,
) -> Result<usize, ApiError> {
    state.db.mark_deleting(id).await?;
    let objects = state.store.delete_recording(id).await?;
    state.db.delete_recording_rows(id).await?;
    tracing::info!(recording = %id, objects, reason, actor, "recording deleted");
    state
        .db
        .audit(
            Some(actor),
            "recording.delete",
            Some(&id.to_string()),
            Some(serde_json::json!({ "reason": reason, "objects": objects })),
        )
        .await?;
    Ok(objects)
}
