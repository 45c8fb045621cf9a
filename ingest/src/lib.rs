//! The ingest server of agentrec: it receives every recording of every agent.
//!
//! - [`api`]: the HTTP surface — the Screendesk-compatible public API, agent endpoints
//!   (enroll, heartbeat, events, recordings, segment upload, finalize), CTI integration,
//!   admin endpoints — built by [`app`].
//! - [`db`]: the catalog (SQLite or PostgreSQL through one code path), with a group-commit
//!   writer for the hot path.
//! - [`store`]: media objects (local directory or S3-compatible bucket).
//! - [`auth`]: bearer tokens, stored hashed; roles.
//! - [`events`]: the SSE hub for policy snapshots and relayed call events.
//! - [`processing`]: segment checks, finalize processing, HLS playlists, the one-file download.
//! - [`retention`]: the daily deletion job.
//! - [`openapi`]: the OpenAPI document, generated from the code.

// utoipa's and axum's derive macros expand to fully qualified paths that the workspace's
// `unused_qualifications` lint flags in our code; the lint stays on everywhere else.
#![allow(unused_qualifications)]

pub mod api;
pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod events;
pub mod openapi;
pub mod processing;
pub mod retention;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use api::app;

/// Settings the handlers need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Base of the links in API answers, without a trailing slash.
    pub public_url: String,
    /// Largest segment accepted.
    pub max_segment_bytes: usize,
    /// How long call events wait for an offline agent.
    pub call_event_ttl: Duration,
    /// The built web UI (`ui/dist`) whose `viewer.html` is served at `/viewer/`.
    pub viewer_dir: Option<std::path::PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_url: "http://127.0.0.1:8080".to_owned(),
            max_segment_bytes: 64 << 20,
            call_event_ttl: Duration::from_secs(300),
            viewer_dir: None,
        }
    }
}

/// Everything a handler can reach. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The catalog.
    pub db: db::Db,
    /// The media store.
    pub store: store::MediaStore,
    /// Group-commit writer.
    pub writer: db::writer::Writer,
    /// The SSE hub.
    pub hub: events::Hub,
    /// Resolved tokens.
    pub tokens: Arc<auth::TokenCache>,
    /// Settings.
    pub settings: Arc<Settings>,
}

impl AppState {
    /// Builds the state on an open catalog and store; `shutdown` ends the event streams.
    pub async fn new(
        db: db::Db,
        store: store::MediaStore,
        settings: Settings,
        shutdown: CancellationToken,
    ) -> Result<AppState, sqlx::Error> {
        let policies = db.policy_set().await?;
        let hub = events::Hub::new(policies, settings.call_event_ttl, shutdown);
        Ok(AppState {
            writer: db::writer::Writer::start(db.clone(), store.clone()),
            db,
            store,
            hub,
            tokens: Arc::new(auth::TokenCache::default()),
            settings: Arc::new(settings),
        })
    }

    /// Reloads the policies from the catalog and pushes them to every connected app.
    pub async fn republish_policies(&self) -> Result<u64, sqlx::Error> {
        let set = self.db.policy_set().await?;
        let version = set.version;
        self.hub.publish_policies(set);
        Ok(version)
    }

    /// Starts the background jobs (event buffer sweep, retention) until `shutdown`.
    pub fn spawn_jobs(&self, retention_every: Duration, shutdown: CancellationToken) {
        let hub = self.hub.clone();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(30));
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tick.tick() => hub.sweep(),
                }
            }
        });
        let state = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(retention_every);
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tick.tick() => {
                        match retention::run(&state).await {
                            Ok(report) => tracing::info!(deleted = report.deleted.len(), "retention run"),
                            Err(e) => tracing::error!(error = %e, "retention run failed"),
                        }
                    }
                }
            }
        });
    }
}
