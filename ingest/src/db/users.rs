//! Users, teams, supervisors' teams and bearer tokens.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;
use uuid::Uuid;

use super::Db;
use crate::clock::now_ms;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sees and manages everything.
    Admin,
    /// Sees the recordings of the agents in their teams.
    Supervisor,
    /// An agent: sees only their own recordings, and only if policy allows it.
    Member,
    /// A service account of a contact-center platform: posts call events, nothing else.
    Integration,
}

impl Role {
    /// The name stored in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Member => "member",
            Role::Integration => "integration",
        }
    }

    fn parse(s: &str) -> Result<Role, sqlx::Error> {
        match s {
            "admin" => Ok(Role::Admin),
            "supervisor" => Ok(Role::Supervisor),
            "member" => Ok(Role::Member),
            "integration" => Ok(Role::Integration),
            other => Err(sqlx::Error::Decode(
                format!("unknown role {other:?} in catalog").into(),
            )),
        }
    }
}

/// What a bearer token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// A person's or service's API token (public, admin and integration endpoints).
    Api,
    /// A workstation's device credential (agent endpoints).
    Device,
    /// A single-use enrollment token, exchanged for a device credential.
    Enrollment,
}

impl TokenKind {
    /// The name stored in the catalog, also the token's prefix.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Api => "api",
            TokenKind::Device => "dev",
            TokenKind::Enrollment => "enr",
        }
    }

    fn parse(s: &str) -> Result<TokenKind, sqlx::Error> {
        match s {
            "api" => Ok(TokenKind::Api),
            "dev" => Ok(TokenKind::Device),
            "enr" => Ok(TokenKind::Enrollment),
            other => Err(sqlx::Error::Decode(
                format!("unknown token kind {other:?} in catalog").into(),
            )),
        }
    }
}

/// A user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct User {
    /// Id.
    pub id: Uuid,
    /// E-mail address (unique).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The team an agent belongs to (its supervisors see its recordings; its policy override
    /// applies).
    pub team_id: Option<Uuid>,
}

/// A team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Team {
    /// Id.
    pub id: Uuid,
    /// Name (unique).
    pub name: String,
}

/// A stored token, with its owner.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    /// The token's id (not the secret).
    pub id: Uuid,
    /// Its kind.
    pub kind: TokenKind,
    /// The owner.
    pub user: User,
    /// The device, for device tokens.
    pub device_id: Option<Uuid>,
    /// Expiry, Unix ms.
    pub expires_at: Option<i64>,
    /// Revocation time, Unix ms.
    pub revoked_at: Option<i64>,
    /// First use, for single-use tokens.
    pub used_at: Option<i64>,
}

pub(crate) fn parse_uuid(s: &str) -> Result<Uuid, sqlx::Error> {
    Uuid::parse_str(s).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn parse_opt_uuid(s: Option<String>) -> Result<Option<Uuid>, sqlx::Error> {
    s.as_deref().map(parse_uuid).transpose()
}

fn user_from_row(row: &sqlx::any::AnyRow, prefix: &str) -> Result<User, sqlx::Error> {
    Ok(User {
        id: parse_uuid(&row.try_get::<String, _>(format!("{prefix}id").as_str())?)?,
        email: row.try_get(format!("{prefix}email").as_str())?,
        name: row.try_get(format!("{prefix}name").as_str())?,
        role: Role::parse(&row.try_get::<String, _>(format!("{prefix}role").as_str())?)?,
        team_id: parse_opt_uuid(row.try_get(format!("{prefix}team_id").as_str())?)?,
    })
}

const USER_COLUMNS: &str = "id, email, name, role, team_id";

impl Db {
    /// Creates a team.
    pub async fn create_team(&self, name: &str) -> Result<Team, sqlx::Error> {
        let id = Uuid::new_v4();
        sqlx::query("INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(id.to_string())
            .bind(name)
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(Team {
            id,
            name: name.to_owned(),
        })
    }

    /// Every team.
    pub async fn list_teams(&self) -> Result<Vec<Team>, sqlx::Error> {
        let rows = sqlx::query("SELECT id, name FROM teams ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Team {
                    id: parse_uuid(&r.try_get::<String, _>("id")?)?,
                    name: r.try_get("name")?,
                })
            })
            .collect()
    }

    /// Whether a team exists.
    pub async fn team_exists(&self, id: Uuid) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query("SELECT 1 FROM teams WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    /// Creates a user.
    pub async fn create_user(
        &self,
        email: &str,
        name: &str,
        role: Role,
        team_id: Option<Uuid>,
    ) -> Result<User, sqlx::Error> {
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO users (id, email, name, role, team_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(email)
        .bind(name)
        .bind(role.as_str())
        .bind(team_id.map(|t| t.to_string()))
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(User {
            id,
            email: email.to_owned(),
            name: name.to_owned(),
            role,
            team_id,
        })
    }

    /// A user by id.
    pub async fn user(&self, id: Uuid) -> Result<Option<User>, sqlx::Error> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
        )))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| user_from_row(&r, "")).transpose()
    }

    /// A user by e-mail address (case-insensitive).
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, sqlx::Error> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE LOWER(email) = LOWER($1)"
        )))
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| user_from_row(&r, "")).transpose()
    }

    /// Every user.
    pub async fn list_users(&self) -> Result<Vec<User>, sqlx::Error> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY email"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| user_from_row(r, "")).collect()
    }

    /// Whether any admin exists (bootstrap check).
    pub async fn has_admin(&self) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query("SELECT 1 FROM users WHERE role = 'admin'")
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    /// Moves an agent to a team (or out of any).
    pub async fn set_user_team(&self, user: Uuid, team: Option<Uuid>) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("UPDATE users SET team_id = $1 WHERE id = $2")
            .bind(team.map(|t| t.to_string()))
            .bind(user.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Lets a supervisor see a team's recordings.
    pub async fn add_supervisor_team(&self, user: Uuid, team: Uuid) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO supervisor_teams (user_id, team_id) VALUES ($1, $2) \
             ON CONFLICT (user_id, team_id) DO NOTHING",
        )
        .bind(user.to_string())
        .bind(team.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The teams a supervisor oversees.
    pub async fn supervised_teams(&self, user: Uuid) -> Result<Vec<Uuid>, sqlx::Error> {
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT team_id FROM supervisor_teams WHERE user_id = $1")
                .bind(user.to_string())
                .fetch_all(&self.pool)
                .await?;
        ids.iter().map(|s| parse_uuid(s)).collect()
    }

    /// Stores a token's hash. The caller keeps the secret.
    pub async fn insert_token(
        &self,
        hash: &str,
        kind: TokenKind,
        user: Uuid,
        device: Option<Uuid>,
        label: Option<&str>,
        expires_at: Option<i64>,
    ) -> Result<Uuid, sqlx::Error> {
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO tokens (id, hash, kind, user_id, device_id, label, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.to_string())
        .bind(hash)
        .bind(kind.as_str())
        .bind(user.to_string())
        .bind(device.map(|d| d.to_string()))
        .bind(label)
        .bind(now_ms())
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(id)
    }

    /// A token by the hash of its secret, with its owner.
    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT t.id AS t_id, t.kind, t.device_id, t.expires_at, t.revoked_at, t.used_at, \
                    u.id AS u_id, u.email AS u_email, u.name AS u_name, u.role AS u_role, \
                    u.team_id AS u_team_id \
             FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(TokenRecord {
            id: parse_uuid(&row.try_get::<String, _>("t_id")?)?,
            kind: TokenKind::parse(&row.try_get::<String, _>("kind")?)?,
            user: user_from_row(&row, "u_")?,
            device_id: parse_opt_uuid(row.try_get("device_id")?)?,
            expires_at: row.try_get("expires_at")?,
            revoked_at: row.try_get("revoked_at")?,
            used_at: row.try_get("used_at")?,
        }))
    }

    /// Revokes a token; false if there is no such token.
    pub async fn revoke_token(&self, id: Uuid) -> Result<bool, sqlx::Error> {
        let done =
            sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now_ms())
                .bind(id.to_string())
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Revokes every device token of a device (when it is removed or re-enrolled).
    pub async fn revoke_device_tokens(&self, device: Uuid) -> Result<u64, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE tokens SET revoked_at = $1 WHERE device_id = $2 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(device.to_string())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Marks a single-use token used; false if it was used already (a replay).
    pub async fn consume_token(&self, id: Uuid) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("UPDATE tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
            .bind(now_ms())
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
