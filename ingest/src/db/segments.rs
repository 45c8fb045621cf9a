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

/// What an upload needs to know, in one query (the hot path).
#[derive(Debug, Clone)]
pub struct UploadContext {
    /// The recording's owner.
    pub owner: Uuid,
    /// Whether the recording is still open.
    pub open: bool,
    /// Whether the track is registered.
    pub has_track: bool,
    /// The checksum of the segment already stored under this key, if any.
    pub existing_sha256: Option<String>,
}

impl Db {
    /// The recording's owner and state, whether the track exists and what is stored under
    /// (recording, track, seq); `None` if there is no such recording.
    pub async fn upload_context(
        &self,
        recording: Uuid,
        track: u32,
        seq: u32,
    ) -> Result<Option<UploadContext>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT r.user_id, r.state, \
             (SELECT COUNT(*) FROM tracks t WHERE t.recording_id = r.id AND t.track_no = $2) AS tracks, \
             (SELECT s.sha256 FROM segments s WHERE s.recording_id = r.id AND s.track_no = $2 \
              AND s.seq = $3) AS existing \
             FROM recordings r WHERE r.id = $1 AND r.state <> 'deleting'",
        )
        .bind(recording.to_string())
        .bind(i64::from(track))
        .bind(i64::from(seq))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(UploadContext {
                owner: super::users::parse_uuid(&r.try_get::<String, _>("user_id")?)?,
                open: r.try_get::<String, _>("state")? == "open",
                has_track: r.try_get::<i64, _>("tracks")? > 0,
                existing_sha256: r.try_get("existing")?,
            })
        })
        .transpose()
    }

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
