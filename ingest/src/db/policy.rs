//! The org policy, per-team overrides, and the policy version every change bumps.
//!
//! A team override is a partial policy document (JSON object) merged over the org policy
//! (RFC 7386 merge patch); the merged result must validate as a whole. The version is one
//! counter for the org and all teams, persisted with the change in one transaction, so an
//! agent's effective policy version only ever increases, across restarts too.

use std::collections::HashMap;

use agentrec_core::Policy;
use serde_json::Value;
use sqlx::Row;
use uuid::Uuid;

use super::Db;
use super::users::parse_uuid;

/// The org policy and every team override, as of one version.
#[derive(Debug, Clone)]
pub struct PolicySet {
    /// The version of this set.
    pub version: u64,
    /// The org policy (with `version` set).
    pub org: Policy,
    /// Effective policy per team that has an override.
    pub teams: HashMap<Uuid, Policy>,
}

impl PolicySet {
    /// The policy in force for an agent of `team`.
    pub fn effective(&self, team: Option<Uuid>) -> &Policy {
        team.and_then(|t| self.teams.get(&t)).unwrap_or(&self.org)
    }
}

/// Why a policy change was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum PolicyChangeError {
    /// The document does not validate.
    #[error(transparent)]
    Invalid(#[from] agentrec_core::PolicyError),
    /// No such team.
    #[error("team not found")]
    NoTeam,
    /// The catalog failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Applies an RFC 7386 merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    if let Value::Object(patch_fields) = patch {
        if !target.is_object() {
            *target = Value::Object(serde_json::Map::new());
        }
        if let Value::Object(target_fields) = target {
            for (k, v) in patch_fields {
                if v.is_null() {
                    target_fields.remove(k);
                } else {
                    merge_patch(target_fields.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
    } else {
        *target = patch.clone();
    }
}

/// The policy an override produces over `org`, validated.
pub fn apply_override(org: &Policy, patch: &Value) -> Result<Policy, agentrec_core::PolicyError> {
    let mut doc = serde_json::to_value(org).map_err(|e| agentrec_core::PolicyError::Malformed {
        field: ".".to_owned(),
        message: e.to_string(),
    })?;
    merge_patch(&mut doc, patch);
    Policy::from_json(&doc.to_string())
}

pub(super) async fn ensure_row(db: &Db) -> Result<(), sqlx::Error> {
    let default =
        serde_json::to_string(&Policy::default()).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "INSERT INTO policy_state (id, org_policy, version) VALUES (1, $1, 1) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(default)
    .execute(&db.pool)
    .await?;
    Ok(())
}

fn decode_policy(json: &str) -> Result<Policy, sqlx::Error> {
    serde_json::from_str(json).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

impl Db {
    /// The org policy and every team's effective policy.
    pub async fn policy_set(&self) -> Result<PolicySet, sqlx::Error> {
        let row = sqlx::query("SELECT org_policy, version FROM policy_state WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        let version = u64::try_from(row.try_get::<i64, _>("version")?).unwrap_or(0);
        let mut org = decode_policy(&row.try_get::<String, _>("org_policy")?)?;
        org.version = version;
        let overrides =
            sqlx::query("SELECT id, policy_override FROM teams WHERE policy_override IS NOT NULL")
                .fetch_all(&self.pool)
                .await?;
        let mut teams = HashMap::new();
        for r in overrides {
            let id = parse_uuid(&r.try_get::<String, _>("id")?)?;
            let patch: Value = serde_json::from_str(&r.try_get::<String, _>("policy_override")?)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            // An override valid when stored can be invalidated by a later org change that it
            // contradicts; the org policy then applies to that team, with a log line.
            match apply_override(&org, &patch) {
                Ok(mut p) => {
                    p.version = version;
                    teams.insert(id, p);
                }
                Err(e) => tracing::warn!(team = %id, error = %e, "team override no longer valid"),
            }
        }
        Ok(PolicySet {
            version,
            org,
            teams,
        })
    }

    /// Replaces the org policy; returns the new version.
    pub async fn set_org_policy(&self, policy: &Policy) -> Result<u64, PolicyChangeError> {
        let json = serde_json::to_string(policy).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE policy_state SET org_policy = $1, version = version + 1 WHERE id = 1")
            .bind(json)
            .execute(&mut *tx)
            .await?;
        let v: i64 = sqlx::query_scalar("SELECT version FROM policy_state WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(u64::try_from(v).unwrap_or(0))
    }

    /// Bumps the version without changing a document (an agent changed team).
    pub async fn bump_policy_version(&self) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE policy_state SET version = version + 1 WHERE id = 1")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A team's override document, if any.
    pub async fn team_override(&self, team: Uuid) -> Result<Option<Option<Value>>, sqlx::Error> {
        let row = sqlx::query("SELECT policy_override FROM teams WHERE id = $1")
            .bind(team.to_string())
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let doc: Option<String> = row.try_get("policy_override")?;
        Ok(Some(
            doc.map(|d| serde_json::from_str(&d))
                .transpose()
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        ))
    }

    /// Sets (or with `None` removes) a team's override; returns the new version.
    pub async fn set_team_override(
        &self,
        team: Uuid,
        patch: Option<&Value>,
    ) -> Result<u64, PolicyChangeError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE teams SET policy_override = $1 WHERE id = $2")
            .bind(patch.map(Value::to_string))
            .bind(team.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(PolicyChangeError::NoTeam);
        }
        sqlx::query("UPDATE policy_state SET version = version + 1 WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        let v: i64 = sqlx::query_scalar("SELECT version FROM policy_state WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(u64::try_from(v).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut doc = json!({"a": 1, "b": {"c": 2, "d": 3}});
        merge_patch(&mut doc, &json!({"b": {"c": null, "e": 4}, "f": [1]}));
        assert_eq!(doc, json!({"a": 1, "b": {"d": 3, "e": 4}, "f": [1]}));
    }

    #[test]
    fn override_is_validated_as_a_whole() {
        let org = Policy::default();
        let p = apply_override(&org, &json!({"mode": "pause_resume"})).unwrap();
        assert_eq!(p.mode, agentrec_core::RecordingMode::PauseResume);
        let err = apply_override(&org, &json!({"capture": {"max_monitors": 9}})).unwrap_err();
        assert_eq!(err.field(), "capture.max_monitors");
        let err = apply_override(&org, &json!({"modee": "x"})).unwrap_err();
        assert_eq!(err.field(), "modee");
    }
}
