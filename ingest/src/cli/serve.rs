//! `agentrec-ingest serve`.

use std::net::SocketAddr;
use std::time::Duration;

use agentrec_ingest::config::Config;
use agentrec_ingest::db::Db;
use agentrec_ingest::store::MediaStore;
use agentrec_ingest::{AppState, Settings, app};
use anyhow::Context;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

pub async fn run(config: Config) -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_env("AGENTREC_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let subscriber = tracing_subscriber::fmt().with_env_filter(filter);
    if std::env::var("AGENTREC_LOG_FORMAT").as_deref() == Ok("json") {
        subscriber.json().init();
    } else {
        subscriber.init();
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    let db = Db::connect(&config.database_url(), config.db_max_connections)
        .await
        .context("opening the catalog")?;
    let store = match config.s3() {
        Some(s3) => MediaStore::s3(&s3).context("configuring the S3 store")?,
        None => MediaStore::local(&config.data_dir.join("media"))
            .context("opening the media directory")?,
    };
    let shutdown = CancellationToken::new();
    let settings = Settings {
        public_url: config.public_url(),
        max_segment_bytes: config.max_segment_mib << 20,
        call_event_ttl: Duration::from_secs(config.call_event_ttl_secs),
        viewer_dir: config.viewer_dir.clone(),
    };
    let state = AppState::new(db.clone(), store, settings, shutdown.clone()).await?;
    if !db.has_admin().await? {
        tracing::warn!(
            "no admin yet: run `agentrec-ingest bootstrap --email you@example.com` for a token"
        );
    }
    state.spawn_jobs(
        Duration::from_secs(config.retention_interval_secs.max(60)),
        shutdown.clone(),
    );
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    tracing::info!(listen = %listener.local_addr()?, catalog = ?db.backend,
        media = if config.s3().is_some() { "s3" } else { "local" }, "serving");
    let stop = shutdown.clone();
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        wait_for_signal().await;
        tracing::info!("shutting down");
        stop.cancel();
    })
    .await?;
    db.pool.close().await;
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
