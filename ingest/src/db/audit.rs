//! The audit log: who viewed, downloaded, changed or deleted what, and failed token uses.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

use super::Db;
use crate::clock::now_ms;

/// One audit entry.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    /// Id (time-ordered).
    pub id: String,
    /// When, Unix ms.
    pub at_ms: i64,
    /// Who (user e-mail, `device:<id>`, `system`, or null for an unknown caller).
    pub actor: Option<String>,
    /// What (`recording.view`, `recording.download`, `policy.update`, `auth.failure`, …).
    pub action: String,
    /// On what (a recording id, a team id, …).
    pub target: Option<String>,
    /// Details, as JSON.
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
}

impl Db {
    /// Appends an entry.
    pub async fn audit(
        &self,
        actor: Option<&str>,
        action: &str,
        target: Option<&str>,
        detail: Option<serde_json::Value>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO audit_log (id, at_ms, actor, action, target, detail) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(now_ms())
        .bind(actor)
        .bind(action)
        .bind(target)
        .bind(detail.map(|d| d.to_string()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A page of entries, newest first, optionally of one action; and the total.
    pub async fn audit_page(
        &self,
        action: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<AuditEntry>, i64), sqlx::Error> {
        let cond = if action.is_some() {
            " WHERE action = $1"
        } else {
            ""
        };
        let mut count = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM audit_log{cond}"
        )));
        let sql = format!(
            "SELECT id, at_ms, actor, action, target, detail FROM audit_log{cond} \
             ORDER BY id DESC LIMIT {limit} OFFSET {offset}"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(a) = action {
            count = count.bind(a);
            q = q.bind(a);
        }
        let total = count.fetch_one(&self.pool).await?;
        let entries = q
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                let detail: Option<String> = r.try_get("detail")?;
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at_ms: r.try_get("at_ms")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    target: r.try_get("target")?,
                    detail: detail.and_then(|d| serde_json::from_str(&d).ok()),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok((entries, total))
    }
}
