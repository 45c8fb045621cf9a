//! The upload engine: spooled recordings → the ingest server, and nothing deleted before the
//! server acknowledged it.
//!
//! One *pass* walks every spooled recording, oldest first:
//! 1. the first time this process meets a recording it asks the server what it holds
//!    (`/status`; unknown → `PUT` create, idempotent) and marks those files uploaded in the
//!    spool — that is how an upload resumes after a crash or a reboot;
//! 2. registers new tracks, uploads init segments, then the media segments not yet
//!    acknowledged, [`UploaderConfig::concurrency`] at a time, oldest first, then posters;
//!    each file is deleted from the spool (`mark_uploaded`) only after its 2xx;
//! 3. once the Recorder finalized the recording and every file is acknowledged, posts
//!    `finalize` with each track's last segment number and removes the recording.
//!
//! A transient failure (network, 5xx, 503 `Retry-After`) ends the pass; [`Uploader::run`]
//! waits ([`Backoff`]) and starts again. A 401 ends the run: the device must enroll again. A
//! file the server refuses for good (409 other bytes, 413, 422) is *rejected*: reported, kept
//! in the spool, not retried in this run; the rest of the recording goes on and is finalized
//! (the server then lists what it misses).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agentrec_capture::error::SpoolError;
use agentrec_capture::spool::{RecordingManifest, Spool, TrackFile};
use agentrec_core::RecordingId;
use agentrec_core::media::{SegmentInfo, TrackNo};
use agentrec_core::wire::{
    CreateRecording, FinalizeRequest, FinalizeResponse, RecordingState, UploadStatus,
};
use futures::StreamExt;
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::backoff::Backoff;
use crate::client::AgentClient;
use crate::error::{ClientError, ErrorKind, UploadError};

/// How the uploader behaves.
#[derive(Debug, Clone)]
pub struct UploaderConfig {
    /// Segment uploads in flight at most.
    pub concurrency: usize,
    /// First wait after a transient failure.
    pub backoff_base: Duration,
    /// Longest wait between attempts (without `Retry-After`).
    pub backoff_max: Duration,
    /// A pass runs at least this often even without a kick (a missed kick costs no more).
    pub idle_poll: Duration,
}

impl Default for UploaderConfig {
    fn default() -> Self {
        UploaderConfig {
            concurrency: 4,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            idle_poll: Duration::from_secs(10),
        }
    }
}

/// What the uploader reports (status window, tray, heartbeat).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadProgress {
    /// Media segments in the spool not yet acknowledged.
    pub waiting_segments: u64,
    /// Bytes of every file not yet acknowledged (segments, init segments, posters).
    pub waiting_bytes: u64,
    /// Recordings in the spool.
    pub recordings: u64,
    /// Whether the last attempt reached the server (`None` before the first).
    pub reachable: Option<bool>,
    /// The last failure, for people; cleared by a pass that went through.
    pub last_error: Option<String>,
    /// The server refused the device credential: the run ended.
    pub unauthorized: bool,
    /// Files acknowledged since start.
    pub uploaded_files: u64,
    /// Recordings finalized since start.
    pub finalized: u64,
    /// Files (and recordings or tracks) the server refused for good, for people.
    pub rejected: Vec<String>,
    /// The wait chosen after the last failure, ms.
    pub last_retry_delay_ms: Option<u64>,
    /// The last media segment acknowledged: ms between its end on the recording's timeline
    /// (wall clock) and its acknowledgment — the upload lag while the call goes on.
    pub last_lag_ms: Option<u64>,
    /// The largest such lag since start.
    pub max_lag_ms: Option<u64>,
}

/// What one pass did.
#[derive(Debug, Default)]
pub struct PassReport {
    /// Files acknowledged.
    pub uploaded_files: u64,
    /// Recordings finalized, with the server's answer.
    pub finalized: Vec<FinalizeResponse>,
    /// Recordings left in the spool after the pass.
    pub remaining: usize,
}

/// The app's side of a running [`Uploader`]: wake it, watch it.
#[derive(Debug, Clone)]
pub struct UploaderHandle {
    kick: Arc<Notify>,
    progress: watch::Receiver<UploadProgress>,
}

impl UploaderHandle {
    /// Something new is in the spool (a segment, a finalize): upload now.
    pub fn kick(&self) {
        self.kick.notify_one();
    }

    /// The progress now.
    pub fn progress(&self) -> UploadProgress {
        self.progress.borrow().clone()
    }

    /// A receiver woken on every change of the progress.
    pub fn subscribe(&self) -> watch::Receiver<UploadProgress> {
        self.progress.clone()
    }
}

/// Which file of a track, hashable (the spool's `TrackFile` is not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Which {
    Init,
    Segment(u32),
    Poster,
}

impl From<Which> for TrackFile {
    fn from(w: Which) -> TrackFile {
        match w {
            Which::Init => TrackFile::Init,
            Which::Segment(seq) => TrackFile::Segment(seq),
            Which::Poster => TrackFile::Poster,
        }
    }
}

type FileRef = (RecordingId, TrackNo, Which);

/// What this process learned of a recording on the server.
#[derive(Debug, Default)]
struct Known {
    /// Tracks the server has registered.
    tracks: HashSet<TrackNo>,
    /// Tracks the server refused for good.
    refused_tracks: HashSet<TrackNo>,
}

/// The upload engine. See the [module docs](self).
#[derive(Debug)]
pub struct Uploader {
    spool: Spool,
    client: AgentClient,
    config: UploaderConfig,
    kick: Arc<Notify>,
    progress: watch::Sender<UploadProgress>,
    known: HashMap<RecordingId, Known>,
    /// Recordings the server refused for good (create or finalize), skipped in this run.
    refused: HashSet<RecordingId>,
    rejected: HashSet<FileRef>,
}

impl Uploader {
    /// An uploader of `spool` to the server behind `client` (which holds the device
    /// credential).
    pub fn new(
        spool: Spool,
        client: AgentClient,
        config: UploaderConfig,
    ) -> (Self, UploaderHandle) {
        let kick = Arc::new(Notify::new());
        let (tx, rx) = watch::channel(UploadProgress::default());
        let uploader = Uploader {
            spool,
            client,
            config,
            kick: kick.clone(),
            progress: tx,
            known: HashMap::new(),
            refused: HashSet::new(),
            rejected: HashSet::new(),
        };
        uploader.publish(|_| {});
        (uploader, UploaderHandle { kick, progress: rx })
    }

    /// A handle to this uploader.
    pub fn handle(&self) -> UploaderHandle {
        UploaderHandle {
            kick: self.kick.clone(),
            progress: self.progress.subscribe(),
        }
    }

    /// Passes until `shutdown`: after each one, waits for a kick (or `idle_poll`); after a
    /// transient failure, waits the backoff (kicks do not cut it short: a server that is down
    /// is not hammered by every new segment). Returns `Err` only when the server refused the
    /// credential (401): the app must enroll again and start a new uploader.
    pub async fn run(mut self, shutdown: CancellationToken) -> Result<(), UploadError> {
        let mut backoff = Backoff::new(self.config.backoff_base, self.config.backoff_max);
        loop {
            match self.pass().await {
                Ok(_) => {
                    backoff.reset();
                    tokio::select! {
                        () = shutdown.cancelled() => return Ok(()),
                        () = self.kick.notified() => {}
                        () = tokio::time::sleep(self.config.idle_poll) => {}
                    }
                }
                Err(e) if e.kind() == ErrorKind::Unauthorized => {
                    tracing::error!(error = %e, "the server refused the device credential; uploads stop");
                    self.publish(|p| {
                        p.unauthorized = true;
                        p.reachable = Some(true);
                        p.last_error = Some(e.to_string());
                    });
                    return Err(e);
                }
                Err(e) => {
                    let delay = backoff.next_delay(e.retry_after(), rand::random::<f64>());
                    tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64,
                        failures = backoff.failures(), "upload pass failed; retrying");
                    let reachable = !matches!(e, UploadError::Client(ClientError::Network(_)));
                    self.publish(|p| {
                        p.reachable = Some(reachable);
                        p.last_error = Some(e.to_string());
                        p.last_retry_delay_ms = Some(delay.as_millis() as u64);
                    });
                    tokio::select! {
                        () = shutdown.cancelled() => return Ok(()),
                        () = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
    }

    /// One pass over every spooled recording. `Err` on the first transient failure or a 401
    /// (what was acknowledged before it stays acknowledged).
    pub async fn pass(&mut self) -> Result<PassReport, UploadError> {
        let mut report = PassReport::default();
        let mut outcome = Ok(());
        for manifest in self.spool.recordings() {
            if let Err(e) = self.sync(manifest.recording, &mut report).await {
                outcome = Err(e);
                break;
            }
        }
        report.remaining = self.spool.recordings().len();
        let uploaded = report.uploaded_files;
        let finalized = report.finalized.len() as u64;
        let ok = outcome.is_ok();
        self.publish(|p| {
            p.uploaded_files += uploaded;
            p.finalized += finalized;
            if ok {
                p.reachable = Some(true);
                p.last_error = None;
            }
        });
        outcome.map(|()| report)
    }

    /// Brings one recording as far as it can go now.
    async fn sync(&mut self, rec: RecordingId, report: &mut PassReport) -> Result<(), UploadError> {
        let Some(m) = self.spool.manifest(rec) else {
            return Ok(());
        };
        if m.discarded {
            let spool = self.spool.clone();
            blocking(move || spool.remove_recording(rec)).await?;
            return Ok(());
        }
        if self.refused.contains(&rec) || (m.tracks.is_empty() && m.finalized.is_none()) {
            return Ok(());
        }
        if !self.known.contains_key(&rec) && !self.learn(&m, report).await? {
            return Ok(());
        }
        self.register_tracks(rec).await?;
        self.upload_inits(rec, report).await?;
        self.upload_segments(rec, report).await?;
        self.upload_posters(rec, report).await?;
        self.finalize_if_done(rec, report).await
    }

    /// Asks the server what it holds of `m` (creating it if unknown) and marks that uploaded.
    /// Returns whether to go on with this recording.
    async fn learn(
        &mut self,
        m: &RecordingManifest,
        report: &mut PassReport,
    ) -> Result<bool, UploadError> {
        let rec = m.recording;
        let status = match self.client.status(rec).await? {
            Some(status) => status,
            None => {
                let body = CreateRecording::new(
                    m.call.clone(),
                    m.metadata.clone().unwrap_or_default(),
                    i64::try_from(m.started_unix_ms).unwrap_or(i64::MAX),
                    Vec::new(),
                );
                match self.client.create_recording(rec, &body).await {
                    Ok(status) => status,
                    Err(e) if refused_for_good(e.kind()) => {
                        self.refuse_recording(rec, &e.to_string());
                        return Ok(false);
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        if status.state == RecordingState::Finalized {
            if m.finalized.is_some() {
                // Finalized before a crash, removed from the spool never: clean up now.
                tracing::info!(%rec, "already finalized on the server; removing it from the spool");
                let spool = self.spool.clone();
                blocking(move || spool.remove_recording(rec)).await?;
                report.remaining = report.remaining.saturating_sub(1);
            } else {
                self.refuse_recording(rec, "finalized on the server while still open here");
            }
            return Ok(false);
        }
        let resumed = self.mark_held(m, &status).await?;
        if resumed > 0 {
            tracing::info!(%rec, files = resumed, "resuming: the server already holds these files");
        }
        self.known.insert(
            rec,
            Known {
                tracks: status.tracks.iter().map(|t| t.info.track).collect(),
                refused_tracks: HashSet::new(),
            },
        );
        Ok(true)
    }

    /// Marks uploaded the files the server says it holds; returns how many.
    async fn mark_held(
        &self,
        m: &RecordingManifest,
        status: &UploadStatus,
    ) -> Result<usize, UploadError> {
        let mut held: Vec<TrackFile> = Vec::new();
        let mut tracks: Vec<TrackNo> = Vec::new();
        for t in &status.tracks {
            let Some(local) = m.track(t.info.track) else {
                continue;
            };
            if t.init && local.init.as_ref().is_some_and(|i| !i.uploaded) {
                held.push(TrackFile::Init);
                tracks.push(t.info.track);
            }
            for s in &local.segments {
                if !s.uploaded && t.segments.binary_search(&s.info.seq).is_ok() {
                    held.push(TrackFile::Segment(s.info.seq));
                    tracks.push(t.info.track);
                }
            }
        }
        let n = held.len();
        if n > 0 {
            let spool = self.spool.clone();
            let rec = m.recording;
            blocking(move || {
                for (track, which) in tracks.into_iter().zip(held) {
                    spool.mark_uploaded(rec, track, which)?;
                }
                Ok(())
            })
            .await?;
        }
        Ok(n)
    }

    async fn register_tracks(&mut self, rec: RecordingId) -> Result<(), UploadError> {
        let Some(m) = self.spool.manifest(rec) else {
            return Ok(());
        };
        for t in &m.tracks {
            let track = t.info.track;
            let known = self.known.entry(rec).or_default();
            if known.tracks.contains(&track) || known.refused_tracks.contains(&track) {
                continue;
            }
            match self.client.put_track(rec, &t.info).await {
                Ok(()) => {
                    self.known.entry(rec).or_default().tracks.insert(track);
                }
                Err(e) if refused_for_good(e.kind()) => {
                    self.known
                        .entry(rec)
                        .or_default()
                        .refused_tracks
                        .insert(track);
                    self.note_rejected(format!("recording {rec} track {track}: {e}"));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn registered(&self, rec: RecordingId, track: TrackNo) -> bool {
        self.known
            .get(&rec)
            .is_some_and(|k| k.tracks.contains(&track))
    }

    async fn upload_inits(
        &mut self,
        rec: RecordingId,
        report: &mut PassReport,
    ) -> Result<(), UploadError> {
        let Some(m) = self.spool.manifest(rec) else {
            return Ok(());
        };
        for t in &m.tracks {
            let track = t.info.track;
            let Some(init) = &t.init else { continue };
            if init.uploaded
                || !self.registered(rec, track)
                || self.rejected.contains(&(rec, track, Which::Init))
            {
                continue;
            }
            let (client, spool, sha) =
                (self.client.clone(), self.spool.clone(), init.sha256.clone());
            let result = async {
                let s = spool.clone();
                let bytes = blocking(move || s.read_init(rec, track)).await?;
                client.upload_init(rec, track, &sha, bytes).await?;
                blocking(move || spool.mark_uploaded(rec, track, TrackFile::Init)).await
            }
            .await;
            self.settle(rec, track, Which::Init, result, report)?;
        }
        Ok(())
    }

    async fn upload_segments(
        &mut self,
        rec: RecordingId,
        report: &mut PassReport,
    ) -> Result<(), UploadError> {
        let Some(m) = self.spool.manifest(rec) else {
            return Ok(());
        };
        let mut jobs: Vec<SegmentInfo> = m
            .tracks
            .iter()
            .filter(|t| self.registered(rec, t.info.track))
            .flat_map(|t| t.segments.iter())
            .filter(|s| !s.uploaded)
            .map(|s| s.info.clone())
            .filter(|s| {
                !self
                    .rejected
                    .contains(&(rec, s.track, Which::Segment(s.seq)))
            })
            .collect();
        // Oldest first, so that the server's copy grows from the start of the call.
        jobs.sort_by_key(|s| (s.start_ms, s.track, s.seq));
        let (client, spool) = (self.client.clone(), self.spool.clone());
        let results: Vec<(SegmentInfo, Result<(), UploadError>)> = futures::stream::iter(jobs)
            .map(|info| {
                let (client, spool) = (client.clone(), spool.clone());
                async move {
                    let result = upload_segment(&client, &spool, rec, &info).await;
                    (info, result)
                }
            })
            .buffer_unordered(self.config.concurrency.max(1))
            .collect()
            .await;
        let mut first_failure = None;
        for (info, result) in results {
            let ok = result.is_ok();
            if let Err(e) = self.settle(rec, info.track, Which::Segment(info.seq), result, report) {
                first_failure.get_or_insert(e);
            } else if ok {
                self.note_lag(m.started_unix_ms, &info);
            }
        }
        first_failure.map_or(Ok(()), Err)
    }

    async fn upload_posters(
        &mut self,
        rec: RecordingId,
        report: &mut PassReport,
    ) -> Result<(), UploadError> {
        let Some(m) = self.spool.manifest(rec) else {
            return Ok(());
        };
        for t in &m.tracks {
            let track = t.info.track;
            let waiting = t.poster.as_ref().is_some_and(|p| !p.uploaded);
            if !waiting
                || !self.registered(rec, track)
                || self.rejected.contains(&(rec, track, Which::Poster))
            {
                continue;
            }
            let (client, spool) = (self.client.clone(), self.spool.clone());
            let result = async {
                let s = spool.clone();
                let jpeg = blocking(move || s.read(rec, track, TrackFile::Poster)).await?;
                client.upload_poster(rec, track, jpeg).await?;
                blocking(move || spool.mark_uploaded(rec, track, TrackFile::Poster)).await
            }
            .await;
            self.settle(rec, track, Which::Poster, result, report)?;
        }
        Ok(())
    }

    /// Books the result of one file: acknowledged, rejected for good, or a failure that ends
    /// the pass (returned).
    fn settle(
        &mut self,
        rec: RecordingId,
        track: TrackNo,
        which: Which,
        result: Result<(), UploadError>,
        report: &mut PassReport,
    ) -> Result<(), UploadError> {
        match result {
            Ok(()) => {
                report.uploaded_files += 1;
                Ok(())
            }
            Err(e) if refused_for_good(e.kind()) => {
                tracing::error!(%rec, track, file = ?which, error = %e, "the server refused a file for good; it stays in the spool");
                self.rejected.insert((rec, track, which));
                self.note_rejected(format!("recording {rec} track {track} {which:?}: {e}"));
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Finalizes on the server once the Recorder has and every file is acknowledged (or
    /// rejected), then removes the recording from the spool — unless rejected files remain.
    async fn finalize_if_done(
        &mut self,
        rec: RecordingId,
        report: &mut PassReport,
    ) -> Result<(), UploadError> {
        let Some(m) = self.spool.manifest(rec) else {
            return Ok(());
        };
        let Some(finalized) = m.finalized.clone() else {
            return Ok(());
        };
        let refused_tracks = self
            .known
            .get(&rec)
            .map(|k| k.refused_tracks.clone())
            .unwrap_or_default();
        let settled = |track: TrackNo, which: Which, uploaded: bool| {
            uploaded
                || refused_tracks.contains(&track)
                || self.rejected.contains(&(rec, track, which))
        };
        let all_settled = m.tracks.iter().all(|t| {
            let n = t.info.track;
            t.init
                .as_ref()
                .is_none_or(|i| settled(n, Which::Init, i.uploaded))
                && t.poster
                    .as_ref()
                    .is_none_or(|p| settled(n, Which::Poster, p.uploaded))
                && t.segments
                    .iter()
                    .all(|s| settled(n, Which::Segment(s.info.seq), s.uploaded))
        });
        if !all_settled {
            return Ok(());
        }
        let last_seq: BTreeMap<TrackNo, u32> = m
            .tracks
            .iter()
            .filter_map(|t| t.segments.last().map(|s| (t.info.track, s.info.seq)))
            .collect();
        let answer = match self
            .client
            .finalize(
                rec,
                &FinalizeRequest {
                    finalized,
                    last_seq,
                },
            )
            .await
        {
            Ok(a) => a,
            Err(e) if refused_for_good(e.kind()) => {
                self.refuse_recording(rec, &format!("finalize: {e}"));
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        tracing::info!(%rec, outcome = ?answer.outcome, duration_ms = answer.duration_ms,
            missing = answer.missing.len(), "recording finalized on the server");
        report.finalized.push(answer);
        let kept = self.rejected.iter().filter(|(r, ..)| *r == rec).count()
            + m.tracks
                .iter()
                .filter(|t| refused_tracks.contains(&t.info.track))
                .count();
        if kept == 0 {
            let spool = self.spool.clone();
            blocking(move || spool.remove_recording(rec)).await?;
            self.known.remove(&rec);
        } else {
            tracing::warn!(%rec, kept, "finalized; files the server refused stay in the spool");
            self.refused.insert(rec);
        }
        Ok(())
    }

    fn refuse_recording(&mut self, rec: RecordingId, why: &str) {
        tracing::error!(%rec, why, "the server refused this recording for good; it stays in the spool");
        self.refused.insert(rec);
        self.note_rejected(format!("recording {rec}: {why}"));
    }

    fn note_rejected(&self, what: String) {
        self.publish(|p| {
            p.last_error = Some(what.clone());
            if p.rejected.len() < 100 {
                p.rejected.push(what);
            }
        });
    }

    fn note_lag(&self, started_unix_ms: u64, info: &SegmentInfo) {
        let end = started_unix_ms + info.start_ms + info.duration_ms;
        let lag = unix_ms().saturating_sub(end);
        tracing::debug!(
            track = info.track,
            seq = info.seq,
            lag_ms = lag,
            "segment acknowledged"
        );
        self.publish(|p| {
            p.last_lag_ms = Some(lag);
            p.max_lag_ms = Some(p.max_lag_ms.map_or(lag, |m| m.max(lag)));
        });
    }

    /// Recomputes the backlog from the spool, applies `change`, and tells the watchers.
    fn publish(&self, change: impl FnOnce(&mut UploadProgress)) {
        let (segments, bytes, recordings) = backlog(&self.spool);
        self.progress.send_if_modified(|p| {
            let before = p.clone();
            p.waiting_segments = segments;
            p.waiting_bytes = bytes;
            p.recordings = recordings;
            change(p);
            *p != before
        });
    }
}

/// Conflict and permanent refusals are not retried.
fn refused_for_good(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::Conflict | ErrorKind::Permanent)
}

async fn upload_segment(
    client: &AgentClient,
    spool: &Spool,
    rec: RecordingId,
    info: &SegmentInfo,
) -> Result<(), UploadError> {
    let (track, seq) = (info.track, info.seq);
    let s = spool.clone();
    let bytes = blocking(move || s.read_segment(rec, track, seq)).await?;
    client.upload_segment(rec, info, bytes).await?;
    let s = spool.clone();
    blocking(move || s.mark_uploaded(rec, track, TrackFile::Segment(seq))).await
}

/// Media segments waiting, bytes of every file waiting, recordings.
pub fn backlog(spool: &Spool) -> (u64, u64, u64) {
    let all = spool.recordings();
    let (mut segments, mut bytes) = (0u64, 0u64);
    for m in &all {
        for t in &m.tracks {
            for f in t.init.iter().chain(t.poster.iter()).filter(|f| !f.uploaded) {
                bytes += f.bytes;
            }
            for s in t.segments.iter().filter(|s| !s.uploaded) {
                segments += 1;
                bytes += s.info.bytes;
            }
        }
    }
    (segments, bytes, all.len() as u64)
}

/// Runs spool I/O (fsync, decryption) off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SpoolError> + Send + 'static,
) -> Result<T, UploadError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| UploadError::Task(e.to_string()))?
        .map_err(UploadError::from)
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
