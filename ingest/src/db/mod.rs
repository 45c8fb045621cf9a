//! The catalog: users, tokens, devices, policy, recordings, tracks, segments and the audit
//! log, in SQLite (embedded default) or PostgreSQL, through one code path (sqlx's Any driver).
//!
//! Queries use `$n` placeholders, which both backends accept, and only the types the Any
//! driver carries (see the migration's header).

pub mod audit;
pub mod bookmarks;
pub mod devices;
pub mod labels;
pub mod policy;
pub mod recordings;
pub mod segments;
pub mod shares;
pub mod users;
pub mod writer;

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

/// Which database the catalog lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file (embedded default).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// Why the catalog could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names no supported database.
    #[error("unsupported database URL (expected sqlite:// or postgres://): {0}")]
    UnsupportedUrl(String),
    /// Connecting or migrating failed.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}

/// The catalog's connection pool.
#[derive(Debug, Clone)]
pub struct Db {
    /// The pool.
    pub pool: AnyPool,
    /// Which backend it talks to.
    pub backend: Backend,
}

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/0001_catalog.sql")),
    (2, include_str!("../../migrations/0002_viewer.sql")),
];

impl Db {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`) and applies migrations.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(DbError::UnsupportedUrl(url.to_owned()));
        };
        let options = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the writer; FULL makes each commit
                        // durable (one fsync of the WAL per commit, and the segment writer
                        // commits in batches); the busy timeout covers the rare writer that
                        // is not the segment writer.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                    }
                    Ok(())
                })
            });
        let pool = options.connect(url).await?;
        let db = Db { pool, backend };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), sqlx::Error> {
        self.pool
            .execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations \
                 (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
            )
            .await?;
        for (version, sql) in MIGRATIONS {
            let applied: Option<i64> =
                sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(version)
                    .fetch_optional(&self.pool)
                    .await?;
            if applied.is_some() {
                continue;
            }
            let mut tx = self.pool.begin().await?;
            for statement in split_statements(sql) {
                tx.execute(sqlx::AssertSqlSafe(statement)).await?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(version)
                .bind(crate::clock::now_ms())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::info!(version, "applied catalog migration");
        }
        policy::ensure_row(self).await?;
        Ok(())
    }

    /// Whether the catalog answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&self.pool)
            .await
            .map(|_| ())
    }
}

/// Splits a migration into statements, dropping `--` comments.
fn split_statements(sql: &str) -> Vec<String> {
    let without_comments: String = sql
        .lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A flag stored as BIGINT.
pub(crate) fn flag(b: bool) -> i64 {
    i64::from(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_splits_into_statements_without_comments() {
        let s = split_statements(
            "-- head; note\nCREATE TABLE a (x BIGINT); -- tail\nCREATE TABLE b (y TEXT);\n",
        );
        assert_eq!(
            s,
            vec!["CREATE TABLE a (x BIGINT)", "CREATE TABLE b (y TEXT)"]
        );
    }

    #[tokio::test]
    async fn sqlite_catalog_migrates_once_and_reopens() {
        let dir = std::env::temp_dir().join(format!("agentrec-db-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("c.db").display());
        let db = Db::connect(&url, 2).await.unwrap();
        db.ping().await.unwrap();
        drop(db);
        let again = Db::connect(&url, 2).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM schema_migrations")
            .fetch_one(&again.pool)
            .await
            .unwrap();
        assert_eq!(n, MIGRATIONS.len() as i64);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn unknown_url_scheme_is_refused() {
        assert!(matches!(
            Db::connect("mysql://x", 1).await,
            Err(DbError::UnsupportedUrl(_))
        ));
    }
}
