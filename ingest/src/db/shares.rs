//! Share links of recordings and the org settings that govern them.

use sqlx::Row;
use uuid::Uuid;

use super::Db;
use super::users::parse_uuid;
use crate::clock::now_ms;

/// A stored share link (the secret itself is never stored).
#[derive(Debug, Clone)]
pub struct ShareRow {
    /// Id.
    pub id: Uuid,
    /// The recording.
    pub recording_id: Uuid,
    /// `anyone_with_link` or `members_only`.
    pub visibility: String,
    /// Who made it.
    pub created_by: Uuid,
    /// Made, Unix ms.
    pub created_at: i64,
    /// Stops working, Unix ms.
    pub expires_at: i64,
    /// Revoked, Unix ms.
    pub revoked_at: Option<i64>,
}

const SELECT: &str = "SELECT id, recording_id, visibility, created_by, created_at, expires_at, \
    revoked_at FROM share_links";

fn from_row(r: &sqlx::any::AnyRow) -> Result<ShareRow, sqlx::Error> {
    Ok(ShareRow {
        id: parse_uuid(&r.try_get::<String, _>("id")?)?,
        recording_id: parse_uuid(&r.try_get::<String, _>("recording_id")?)?,
        visibility: r.try_get("visibility")?,
        created_by: parse_uuid(&r.try_get::<String, _>("created_by")?)?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

impl Db {
    /// Stores a new link.
    pub async fn insert_share(
        &self,
        recording: Uuid,
        hash: &str,
        visibility: &str,
        created_by: Uuid,
        expires_at: i64,
    ) -> Result<ShareRow, sqlx::Error> {
        let id = Uuid::new_v4();
        let now = now_ms();
        sqlx::query(
            "INSERT INTO share_links (id, recording_id, hash, visibility, created_by, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(recording.to_string())
        .bind(hash)
        .bind(visibility)
        .bind(created_by.to_string())
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(ShareRow {
            id,
            recording_id: recording,
            visibility: visibility.to_owned(),
            created_by,
            created_at: now,
            expires_at,
            revoked_at: None,
        })
    }

    /// The links of a recording, newest first.
    pub async fn shares(&self, recording: Uuid) -> Result<Vec<ShareRow>, sqlx::Error> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE recording_id = $1 ORDER BY created_at DESC, id"
        )))
        .bind(recording.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(from_row)
        .collect()
    }

    /// The link with this secret's hash.
    pub async fn share_by_hash(&self, hash: &str) -> Result<Option<ShareRow>, sqlx::Error> {
        sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE hash = $1")))
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    /// The link with this id.
    pub async fn share(&self, id: Uuid) -> Result<Option<ShareRow>, sqlx::Error> {
        sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    /// Revokes a link; false if it was already revoked or does not exist.
    pub async fn revoke_share(&self, id: Uuid) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE share_links SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// An org setting (JSON text).
    pub async fn org_setting(&self, name: &str) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT value FROM org_settings WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
    }

    /// Sets an org setting (JSON text).
    pub async fn set_org_setting(&self, name: &str, value: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO org_settings (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
