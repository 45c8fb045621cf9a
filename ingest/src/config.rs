//! Server configuration: flags, `AGENTREC_*` environment variables, or a config file (TOML
//! keys named like the flags: `listen = "0.0.0.0:8080"`, `database_url = "postgres://…"`).
//! Precedence: flag, then environment, then file, then default.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::store::S3Settings;

/// `agentrec-ingest serve` options.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "AGENTREC_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Data directory of the embedded default (SQLite catalog and media).
    #[arg(long, env = "AGENTREC_DATA_DIR", default_value = "agentrec-data")]
    pub data_dir: PathBuf,
    /// Catalog URL: `sqlite://…` or `postgres://…` (default: SQLite in the data directory).
    #[arg(long, env = "AGENTREC_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Most catalog connections.
    #[arg(long, env = "AGENTREC_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
    /// S3-compatible endpoint; when set, media goes to S3 instead of the data directory.
    #[arg(long, env = "AGENTREC_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// S3 bucket.
    #[arg(long, env = "AGENTREC_S3_BUCKET", default_value = "agentrec")]
    pub s3_bucket: String,
    /// S3 region.
    #[arg(long, env = "AGENTREC_S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,
    /// S3 access key id.
    #[arg(long, env = "AGENTREC_S3_ACCESS_KEY", default_value = "")]
    pub s3_access_key: String,
    /// S3 secret key.
    #[arg(
        long,
        env = "AGENTREC_S3_SECRET_KEY",
        default_value = "",
        hide_env_values = true
    )]
    pub s3_secret_key: String,
    /// Public base URL of this server, for the links in API answers (default: http://<listen>).
    #[arg(long, env = "AGENTREC_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Largest segment accepted, in MiB.
    #[arg(long, env = "AGENTREC_MAX_SEGMENT_MIB", default_value_t = 64)]
    pub max_segment_mib: usize,
    /// How long call events wait for an offline agent, in seconds.
    #[arg(long, env = "AGENTREC_CALL_EVENT_TTL_SECS", default_value_t = 300)]
    pub call_event_ttl_secs: u64,
    /// Period of the retention job, in seconds (daily by default).
    #[arg(
        long,
        env = "AGENTREC_RETENTION_INTERVAL_SECS",
        default_value_t = 86_400
    )]
    pub retention_interval_secs: u64,
    /// The built web UI (`ui/dist`): serves the supervisor viewer at `/viewer/`.
    #[arg(long, env = "AGENTREC_VIEWER_DIR")]
    pub viewer_dir: Option<PathBuf>,
}

impl Config {
    /// The catalog URL in force.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("catalog.db").display()
            )
        })
    }

    /// The S3 settings, when media goes to S3.
    pub fn s3(&self) -> Option<S3Settings> {
        self.s3_endpoint.as_ref().map(|endpoint| S3Settings {
            endpoint: endpoint.clone(),
            bucket: self.s3_bucket.clone(),
            region: self.s3_region.clone(),
            access_key: self.s3_access_key.clone(),
            secret_key: self.s3_secret_key.clone(),
        })
    }

    /// The public URL in force.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_owned()
    }
}

/// Why a config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    /// Unreadable.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not `key = value` TOML with known keys.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

const FILE_KEYS: &[&str] = &[
    "listen",
    "data_dir",
    "database_url",
    "db_max_connections",
    "s3_endpoint",
    "s3_bucket",
    "s3_region",
    "s3_access_key",
    "s3_secret_key",
    "public_url",
    "max_segment_mib",
    "call_event_ttl_secs",
    "retention_interval_secs",
];

/// Reads a config file into `(AGENTREC_* variable, value)` pairs. The binary sets those that
/// are not already in the environment before parsing flags, which gives the precedence above.
pub fn read_file(path: &std::path::Path) -> Result<Vec<(String, String)>, ConfigFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    let invalid = |message: String| ConfigFileError::Invalid {
        path: path.to_owned(),
        message,
    };
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| invalid(e.to_string()))?;
    let mut out = Vec::new();
    for (key, value) in table {
        if !FILE_KEYS.contains(&key.as_str()) {
            return Err(invalid(format!("unknown key `{key}`")));
        }
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            other => {
                return Err(invalid(format!(
                    "`{key}`: expected a string or integer, got {other}"
                )));
            }
        };
        out.push((format!("AGENTREC_{}", key.to_uppercase()), value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_file_maps_to_environment_names_and_refuses_typos() {
        let dir = std::env::temp_dir().join(format!("agentrec-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(&good, "listen = \"0.0.0.0:9\"\nmax_segment_mib = 8\n").unwrap();
        let vars = read_file(&good).unwrap();
        assert!(vars.contains(&("AGENTREC_LISTEN".into(), "0.0.0.0:9".into())));
        assert!(vars.contains(&("AGENTREC_MAX_SEGMENT_MIB".into(), "8".into())));
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "lisen = \"x\"\n").unwrap();
        assert!(read_file(&bad).unwrap_err().to_string().contains("lisen"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
