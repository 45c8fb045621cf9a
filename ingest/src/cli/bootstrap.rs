//! `agentrec-ingest bootstrap`: the first admin (or any user) and a token, straight into the
//! catalog, for a fresh install or a test.

use std::io::Write;

use agentrec_ingest::auth::{hash_secret, new_secret};
use agentrec_ingest::db::Db;
use agentrec_ingest::db::users::{Role, TokenKind};
use anyhow::Context;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Catalog URL (as for `serve`; default: SQLite in the data directory).
    #[arg(long, env = "AGENTREC_DATABASE_URL")]
    database_url: Option<String>,
    /// Data directory (as for `serve`).
    #[arg(long, env = "AGENTREC_DATA_DIR", default_value = "agentrec-data")]
    data_dir: std::path::PathBuf,
    /// The user's e-mail address.
    #[arg(long)]
    email: String,
    /// The user's name.
    #[arg(long, default_value = "Administrator")]
    name: String,
    /// The role: admin, supervisor, member or integration.
    #[arg(long, default_value = "admin")]
    role: String,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let role: Role = serde_json::from_value(serde_json::Value::String(args.role.clone()))
        .with_context(|| format!("unknown role {}", args.role))?;
    std::fs::create_dir_all(&args.data_dir)?;
    let url = args.database_url.unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            args.data_dir.join("catalog.db").display()
        )
    });
    let db = Db::connect(&url, 2).await?;
    let user = match db.user_by_email(&args.email).await? {
        Some(u) => u,
        None => db.create_user(&args.email, &args.name, role, None).await?,
    };
    let secret = new_secret(TokenKind::Api);
    db.insert_token(
        &hash_secret(&secret),
        TokenKind::Api,
        user.id,
        None,
        Some("bootstrap"),
        None,
    )
    .await?;
    db.audit(
        Some("bootstrap"),
        "token.issue",
        Some(&user.id.to_string()),
        None,
    )
    .await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{secret}")?;
    Ok(())
}
