//! Bookmarks: comments at a time position of a recording, written by reviewers.

use sqlx::Row;
use uuid::Uuid;

use super::Db;
use super::users::parse_uuid;
use crate::clock::now_ms;

/// A stored bookmark.
#[derive(Debug, Clone)]
pub struct BookmarkRow {
    /// Id.
    pub id: Uuid,
    /// The recording.
    pub recording_id: Uuid,
    /// Who wrote it.
    pub author_id: Uuid,
    /// The author's e-mail address.
    pub author_email: String,
    /// The author's name.
    pub author_name: String,
    /// Position on the recording's timeline, ms.
    pub offset_ms: i64,
    /// The comment.
    pub body: String,
    /// Written, Unix ms.
    pub created_at: i64,
}

const SELECT: &str = "SELECT b.id, b.recording_id, b.author_id, b.offset_ms, b.body, b.created_at, \
    u.email AS u_email, u.name AS u_name FROM bookmarks b JOIN users u ON u.id = b.author_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<BookmarkRow, sqlx::Error> {
    Ok(BookmarkRow {
        id: parse_uuid(&r.try_get::<String, _>("id")?)?,
        recording_id: parse_uuid(&r.try_get::<String, _>("recording_id")?)?,
        author_id: parse_uuid(&r.try_get::<String, _>("author_id")?)?,
        author_email: r.try_get("u_email")?,
        author_name: r.try_get("u_name")?,
        offset_ms: r.try_get("offset_ms")?,
        body: r.try_get("body")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Db {
    /// The bookmarks of a recording, in timeline order.
    pub async fn bookmarks(&self, recording: Uuid) -> Result<Vec<BookmarkRow>, sqlx::Error> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE b.recording_id = $1 ORDER BY b.offset_ms, b.created_at, b.id"
        )))
        .bind(recording.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(from_row)
        .collect()
    }

    /// One bookmark of a recording.
    pub async fn bookmark(
        &self,
        recording: Uuid,
        id: Uuid,
    ) -> Result<Option<BookmarkRow>, sqlx::Error> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE b.recording_id = $1 AND b.id = $2"
        )))
        .bind(recording.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
    }

    /// Adds a bookmark and returns it.
    pub async fn add_bookmark(
        &self,
        recording: Uuid,
        author: Uuid,
        offset_ms: i64,
        body: &str,
    ) -> Result<BookmarkRow, sqlx::Error> {
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO bookmarks (id, recording_id, author_id, offset_ms, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(recording.to_string())
        .bind(author.to_string())
        .bind(offset_ms)
        .bind(body)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        self.bookmark(recording, id)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    /// Deletes a bookmark; false if there was none.
    pub async fn delete_bookmark(&self, recording: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("DELETE FROM bookmarks WHERE recording_id = $1 AND id = $2")
            .bind(recording.to_string())
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
