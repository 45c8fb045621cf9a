//! Enrolled devices and their last heartbeat (the fleet view).

use agentrec_core::wire::Heartbeat;
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;
use uuid::Uuid;

use super::Db;
use super::users::parse_uuid;
use crate::clock::now_ms;

/// One device in the fleet listing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeviceStatus {
    /// Device id.
    pub id: Uuid,
    /// The agent it records for.
    pub user_id: Uuid,
    /// The agent's e-mail address.
    pub user_email: String,
    /// Host name.
    pub hostname: String,
    /// Operating system (as last reported).
    pub os: String,
    /// App version (as last reported).
    pub app_version: String,
    /// When it enrolled, Unix ms.
    pub enrolled_at_ms: i64,
    /// Last heartbeat, Unix ms.
    pub last_seen_at_ms: Option<i64>,
    /// Whether a heartbeat arrived within the last 90 s (three missed beats).
    pub online: bool,
    /// The last heartbeat as sent.
    #[schema(value_type = Option<Object>)]
    pub heartbeat: Option<serde_json::Value>,
}

/// Devices that sent no heartbeat for this long are listed offline.
pub const OFFLINE_AFTER_MS: i64 = 90_000;

impl Db {
    /// Records a newly enrolled device.
    pub async fn create_device(
        &self,
        user: Uuid,
        hostname: &str,
        os: &str,
        app_version: &str,
    ) -> Result<Uuid, sqlx::Error> {
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO devices (id, user_id, hostname, os, app_version, enrolled_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(user.to_string())
        .bind(hostname)
        .bind(os)
        .bind(app_version)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(id)
    }

    /// The fleet: every device with its last heartbeat.
    pub async fn list_devices(&self) -> Result<Vec<DeviceStatus>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT d.id, d.user_id, u.email, d.hostname, d.os, d.app_version, d.enrolled_at, \
                    d.last_seen_at, d.heartbeat \
             FROM devices d JOIN users u ON u.id = d.user_id ORDER BY u.email, d.hostname",
        )
        .fetch_all(&self.pool)
        .await?;
        let now = now_ms();
        rows.iter()
            .map(|r| {
                let last_seen: Option<i64> = r.try_get("last_seen_at")?;
                let heartbeat: Option<String> = r.try_get("heartbeat")?;
                Ok(DeviceStatus {
                    id: parse_uuid(&r.try_get::<String, _>("id")?)?,
                    user_id: parse_uuid(&r.try_get::<String, _>("user_id")?)?,
                    user_email: r.try_get("email")?,
                    hostname: r.try_get("hostname")?,
                    os: r.try_get("os")?,
                    app_version: r.try_get("app_version")?,
                    enrolled_at_ms: r.try_get("enrolled_at")?,
                    last_seen_at_ms: last_seen,
                    online: last_seen.is_some_and(|t| now - t < OFFLINE_AFTER_MS),
                    heartbeat: heartbeat.and_then(|h| serde_json::from_str(&h).ok()),
                })
            })
            .collect()
    }

    /// Serialized heartbeat for [`writer`](super::writer) batches.
    pub(crate) fn heartbeat_json(hb: &Heartbeat) -> String {
        serde_json::to_string(hb).unwrap_or_else(|_| "{}".to_owned())
    }
}
