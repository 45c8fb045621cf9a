//! Stored segments (rows exist only for durably stored objects).

use sqlx::Row;
use uuid::Uuid;

use super::Db;

/// A stored segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSegment {
    /// Track.
    pub track: u32,
    /// Sequence (0: init).
    pub seq: u32,
    /// Start on the timeline, ms.
    pub start_ms: u64,
    /// Duration, ms.
    pub duration_ms: u64,
    /// Size.
    pub bytes: u64,
    /// Offset of the first `moof`.
    pub media_offset: u64,
    /// SHA-256 hex.
    pub sha256: String,
    /// Object key.
    pub object_key: String,
}

fn u(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl Db {
    /// Every stored segment of a recording (or of one track), by track then sequence.
    pub async fn segments(
        &self,
        recording: Uuid,
        track: Option<u32>,
    ) -> Result<Vec<StoredSegment>, sqlx::Error> {
        let mut sql = "SELECT track_no, seq, start_ms, duration_ms, bytes, media_offset, sha256, \
                       object_key FROM segments WHERE recording_id = $1"
            .to_owned();
        if track.is_some() {
            sql.push_str(" AND track_no = $2");
        }
        sql.push_str(" ORDER BY track_no, seq");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(recording.to_string());
        if let Some(t) = track {
            q = q.bind(i64::from(t));
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(StoredSegment {
                    track: u32::try_from(r.try_get::<i64, _>("track_no")?).unwrap_or(0),
                    seq: u32::try_from(r.try_get::<i64, _>("seq")?).unwrap_or(0),
                    start_ms: u(r.try_get("start_ms")?),
                    duration_ms: u(r.try_get("duration_ms")?),
                    bytes: u(r.try_get("bytes")?),
                    media_offset: u(r.try_get("media_offset")?),
                    sha256: r.try_get("sha256")?,
                    object_key: r.try_get("object_key")?,
                })
            })
            .collect()
    }

    /// One stored segment.
    pub async fn segment(
        &self,
        recording: Uuid,
        track: u32,
        seq: u32,
    ) -> Result<Option<StoredSegment>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT start_ms, duration_ms, bytes, media_offset, sha256, object_key FROM segments \
             WHERE recording_id = $1 AND track_no = $2 AND seq = $3",
        )
        .bind(recording.to_string())
        .bind(i64::from(track))
        .bind(i64::from(seq))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(StoredSegment {
                track,
                seq,
                start_ms: u(r.try_get("start_ms")?),
                duration_ms: u(r.try_get("duration_ms")?),
                bytes: u(r.try_get("bytes")?),
                media_offset: u(r.try_get("media_offset")?),
                sha256: r.try_get("sha256")?,
                object_key: r.try_get("object_key")?,
            })
        })
        .transpose()
    }
}
