//! Labels (many per recording) and the folder (one per recording) that organise recordings.

use std::collections::HashMap;

use sqlx::Row;
use uuid::Uuid;

use super::Db;
use super::users::parse_uuid;
use crate::clock::now_ms;

impl Db {
    /// The labels of several recordings, sorted.
    pub async fn labels_of(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<String>>, sqlx::Error> {
        let mut out: HashMap<Uuid, Vec<String>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT recording_id, label FROM recording_labels WHERE recording_id IN ({}) \
             ORDER BY recording_id, label",
            marks.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(id.to_string());
        }
        for r in q.fetch_all(&self.pool).await? {
            let id = parse_uuid(&r.try_get::<String, _>("recording_id")?)?;
            out.entry(id).or_default().push(r.try_get("label")?);
        }
        Ok(out)
    }

    /// Replaces a recording's labels and folder.
    pub async fn set_labels(
        &self,
        id: Uuid,
        labels: &[String],
        folder: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM recording_labels WHERE recording_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        for label in labels {
            sqlx::query("INSERT INTO recording_labels (recording_id, label) VALUES ($1, $2)")
                .bind(id.to_string())
                .bind(label)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE recordings SET folder = $1, updated_at = $2 WHERE id = $3")
            .bind(folder)
            .bind(now_ms())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    /// Every label and every folder in use, sorted (for the viewer's filters).
    pub async fn label_catalog(&self) -> Result<(Vec<String>, Vec<String>), sqlx::Error> {
        let labels: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT label FROM recording_labels ORDER BY label")
                .fetch_all(&self.pool)
                .await?;
        let folders: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT folder FROM recordings WHERE folder IS NOT NULL ORDER BY folder",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok((labels, folders))
    }

    /// Every queue recordings were made in, sorted.
    pub async fn queues(&self) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT DISTINCT queue FROM recordings WHERE queue IS NOT NULL ORDER BY queue",
        )
        .fetch_all(&self.pool)
        .await
    }
}
