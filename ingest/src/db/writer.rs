//! Group commit for the hot write path: segment rows and heartbeats.
//!
//! At 2,000 agents the server takes ~1,000 segment uploads and ~70 heartbeats a second. A
//! commit per request would mean a WAL fsync per request on SQLite, and SQLite has one writer
//! at a time, so requests would queue on its lock. Instead, handlers hand their row to a writer
//! task and wait; the writer takes everything that queued up meanwhile and commits it in one
//! transaction (one fsync), then answers each waiter. Under light load a batch is one row and
//! nothing waits; under heavy load batches grow and the fsync cost is shared. PostgreSQL gets
//! a few writers, since it commits in parallel.

use std::sync::Arc;

use sqlx::{Any, Row, Transaction};
use tokio::sync::{Mutex, mpsc, oneshot};
use uuid::Uuid;

use super::{Backend, Db};

/// Most rows in one transaction.
const MAX_BATCH: usize = 512;

/// A segment row to insert once its object is stored.
#[derive(Debug, Clone)]
pub struct SegmentRow {
    /// Recording.
    pub recording: Uuid,
    /// Track.
    pub track: u32,
    /// Sequence number (0: init segment).
    pub seq: u32,
    /// Start on the timeline, ms.
    pub start_ms: u64,
    /// Duration, ms.
    pub duration_ms: u64,
    /// Size.
    pub bytes: u64,
    /// Offset of the first `moof` (media) or 0 (init): where the download starts copying.
    pub media_offset: u64,
    /// SHA-256, hex.
    pub sha256: String,
    /// Where the object is.
    pub object_key: String,
}

/// What the catalog held after an insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SegmentOutcome {
    /// The row is new.
    Inserted,
    /// A row for this (recording, track, seq) was there already.
    Existing {
        /// Its checksum.
        sha256: String,
        /// Its object.
        object_key: String,
    },
}

/// A failed write.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct WriteError {
    /// Whether the database is unreachable (503) rather than refusing the row (500).
    pub unavailable: bool,
    /// What happened.
    pub message: String,
}

impl From<sqlx::Error> for WriteError {
    fn from(e: sqlx::Error) -> Self {
        WriteError {
            unavailable: matches!(
                e,
                sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::Io(_)
                    | sqlx::Error::WorkerCrashed
            ),
            message: e.to_string(),
        }
    }
}

impl From<WriteError> for crate::error::ApiError {
    fn from(e: WriteError) -> Self {
        if e.unavailable {
            crate::error::ApiError::Unavailable(format!("database: {}", e.message))
        } else {
            crate::error::ApiError::Internal(format!("database: {}", e.message))
        }
    }
}

#[derive(Debug)]
enum Op {
    Segment(
        SegmentRow,
        oneshot::Sender<Result<SegmentOutcome, WriteError>>,
    ),
    Heartbeat {
        device: Uuid,
        json: String,
        app_version: String,
        os: String,
        at_ms: i64,
        reply: oneshot::Sender<Result<(), WriteError>>,
    },
}

/// Handle to the writer tasks.
#[derive(Debug, Clone)]
pub struct Writer {
    tx: mpsc::Sender<Op>,
}

fn closed() -> WriteError {
    WriteError {
        unavailable: true,
        message: "catalog writer stopped".to_owned(),
    }
}

impl Writer {
    /// Starts the writer tasks on `db`; `store` is synced before each batch of segment rows
    /// commits, so that a row never becomes visible before its object is durable.
    pub fn start(db: Db, store: crate::store::MediaStore) -> Writer {
        let (tx, rx) = mpsc::channel(8 * MAX_BATCH);
        let rx = Arc::new(Mutex::new(rx));
        let writers = match db.backend {
            Backend::Sqlite => 1,
            Backend::Postgres => 4,
        };
        for _ in 0..writers {
            tokio::spawn(run(db.clone(), store.clone(), rx.clone()));
        }
        Writer { tx }
    }

    /// Inserts a segment row unless one exists; durable when this returns.
    pub async fn insert_segment(&self, row: SegmentRow) -> Result<SegmentOutcome, WriteError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Op::Segment(row, reply))
            .await
            .map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }

    /// Records a device's heartbeat.
    pub async fn heartbeat(
        &self,
        device: Uuid,
        json: String,
        app_version: String,
        os: String,
        at_ms: i64,
    ) -> Result<(), WriteError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Op::Heartbeat {
                device,
                json,
                app_version,
                os,
                at_ms,
                reply,
            })
            .await
            .map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }
}

async fn run(db: Db, store: crate::store::MediaStore, rx: Arc<Mutex<mpsc::Receiver<Op>>>) {
    loop {
        let mut batch = Vec::new();
        {
            let mut rx = rx.lock().await;
            let Some(first) = rx.recv().await else { return };
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(op) => batch.push(op),
                    Err(_) => break,
                }
            }
        }
        let started = std::time::Instant::now();
        if batch.iter().any(|op| matches!(op, Op::Segment(..)))
            && let Err(e) = store.sync().await
        {
            let error = WriteError {
                unavailable: true,
                message: format!("media store sync: {e}"),
            };
            for op in batch {
                answer(op, Err(error.clone()));
            }
            continue;
        }
        let synced = started.elapsed();
        let result = commit(&db, &batch).await;
        tracing::debug!(
            rows = batch.len(),
            sync_ms = synced.as_secs_f64() * 1e3,
            commit_ms = (started.elapsed() - synced).as_secs_f64() * 1e3,
            "batch"
        );
        match result {
            Ok(outcomes) => {
                for (op, outcome) in batch.into_iter().zip(outcomes) {
                    answer(op, Ok(outcome));
                }
            }
            Err(e) if batch.len() > 1 => {
                // One bad row must not fail its neighbours: retry each on its own.
                tracing::warn!(error = %e, rows = batch.len(), "batch commit failed, retrying rows");
                for op in batch {
                    let one = std::slice::from_ref(&op);
                    let result = commit(&db, one).await.map(|mut o| o.remove(0));
                    answer(op, result);
                }
            }
            Err(e) => {
                for op in batch {
                    answer(op, Err(e.clone()));
                }
            }
        }
    }
}

fn answer(op: Op, result: Result<Option<SegmentOutcome>, WriteError>) {
    match op {
        Op::Segment(_, reply) => {
            let r = result.and_then(|o| o.ok_or_else(closed));
            let _ = reply.send(r);
        }
        Op::Heartbeat { reply, .. } => {
            let _ = reply.send(result.map(|_| ()));
        }
    }
}

async fn commit(db: &Db, batch: &[Op]) -> Result<Vec<Option<SegmentOutcome>>, WriteError> {
    let mut tx = db.pool.begin().await?;
    let mut out: Vec<Option<SegmentOutcome>> = vec![None; batch.len()];
    let segments: Vec<(usize, &SegmentRow)> = batch
        .iter()
        .enumerate()
        .filter_map(|(i, op)| match op {
            Op::Segment(row, _) => Some((i, row)),
            Op::Heartbeat { .. } => None,
        })
        .collect();
    // One multi-row INSERT per chunk: on SQLite every statement is a round trip to the
    // connection's worker thread, and those hops, not SQLite itself, dominated the batch.
    for chunk in segments.chunks(ROWS_PER_INSERT) {
        let mut inserted = insert_rows(&mut tx, chunk).await?;
        for (i, row) in chunk {
            let key = (
                row.recording.to_string(),
                i64::from(row.track),
                i64::from(row.seq),
            );
            // `remove`: if the same segment is twice in one batch, only the first inserted it.
            out[*i] = Some(if inserted.remove(&key) {
                SegmentOutcome::Inserted
            } else {
                existing(&mut tx, row).await?
            });
        }
    }
    for op in batch {
        if let Op::Heartbeat {
            device,
            json,
            app_version,
            os,
            at_ms,
            ..
        } = op
        {
            sqlx::query(
                "UPDATE devices SET last_seen_at = $1, heartbeat = $2, app_version = $3, os = $4 \
                 WHERE id = $5",
            )
            .bind(at_ms)
            .bind(json)
            .bind(app_version)
            .bind(os)
            .bind(device.to_string())
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(out)
}

/// Rows per INSERT statement (10 parameters each, far below both databases' limits).
const ROWS_PER_INSERT: usize = 64;

async fn insert_rows(
    tx: &mut Transaction<'static, Any>,
    rows: &[(usize, &SegmentRow)],
) -> Result<std::collections::HashSet<(String, i64, i64)>, sqlx::Error> {
    let values: Vec<String> = (0..rows.len())
        .map(|r| {
            let marks: Vec<String> = (1..=10).map(|c| format!("${}", r * 10 + c)).collect();
            format!("({})", marks.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO segments (recording_id, track_no, seq, start_ms, duration_ms, bytes, \
         media_offset, sha256, object_key, created_at) VALUES {} \
         ON CONFLICT (recording_id, track_no, seq) DO NOTHING \
         RETURNING recording_id, track_no, seq",
        values.join(", ")
    );
    let now = crate::clock::now_ms();
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (_, row) in rows {
        q = q
            .bind(row.recording.to_string())
            .bind(i64::from(row.track))
            .bind(i64::from(row.seq))
            .bind(to_i64(row.start_ms))
            .bind(to_i64(row.duration_ms))
            .bind(to_i64(row.bytes))
            .bind(to_i64(row.media_offset))
            .bind(row.sha256.clone())
            .bind(row.object_key.clone())
            .bind(now);
    }
    q.fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get("recording_id")?,
                r.try_get("track_no")?,
                r.try_get("seq")?,
            ))
        })
        .collect()
}

async fn existing(
    tx: &mut Transaction<'static, Any>,
    row: &SegmentRow,
) -> Result<SegmentOutcome, sqlx::Error> {
    let existing = sqlx::query(
        "SELECT sha256, object_key FROM segments \
         WHERE recording_id = $1 AND track_no = $2 AND seq = $3",
    )
    .bind(row.recording.to_string())
    .bind(i64::from(row.track))
    .bind(i64::from(row.seq))
    .fetch_one(&mut **tx)
    .await?;
    Ok(SegmentOutcome::Existing {
        sha256: existing.try_get("sha256")?,
        object_key: existing.try_get("object_key")?,
    })
}

/// Catalog integers are BIGINT; values past i64 are clamped (never reached by real media).
pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
