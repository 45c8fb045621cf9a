//! Admin endpoints: users, teams, tokens, enrollment, policy, fleet, audit, legal hold,
//! deletion and retention.

use agentrec_core::Policy;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::model::Pagination;
use crate::AppState;
use crate::auth::{self, Principal};
use crate::clock::now_ms;
use crate::db::audit::AuditEntry;
use crate::db::devices::DeviceStatus;
use crate::db::policy::{PolicyChangeError, apply_override};
use crate::db::users::{Role, Team, TokenKind, User};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::retention::{self, RetentionReport};

fn admin(p: &Principal) -> ApiResult<()> {
    p.require_role(&[Role::Admin])
}

async fn audit(
    state: &AppState,
    p: &Principal,
    action: &str,
    target: Option<String>,
    detail: Option<Value>,
) -> ApiResult<()> {
    state
        .db
        .audit(Some(&p.actor()), action, target.as_deref(), detail)
        .await?;
    Ok(())
}

/// A new user.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUser {
    /// E-mail address (unique).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Team (agents).
    pub team_id: Option<Uuid>,
}

fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// List users.
#[utoipa::path(get, path = "/admin/users", operation_id = "adminListUsers", tag = "Admin",
    responses((status = 200, body = Vec<User>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_users(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<ApiJson<Vec<User>>> {
    admin(&p)?;
    Ok(ApiJson(state.db.list_users().await?))
}

/// Create a user.
#[utoipa::path(post, path = "/admin/users", operation_id = "adminCreateUser", tag = "Admin",
    request_body = NewUser,
    responses((status = 201, body = User), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "E-mail taken", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, ApiJson<User>)> {
    admin(&p)?;
    if !valid_email(&body.email) {
        return Err(ApiError::Unprocessable(
            "email: not an e-mail address".to_owned(),
        ));
    }
    let name = body.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError::Unprocessable("name: 1 to 200 bytes".to_owned()));
    }
    if let Some(t) = body.team_id
        && !state.db.team_exists(t).await?
    {
        return Err(ApiError::Unprocessable("team_id: no such team".to_owned()));
    }
    if state.db.user_by_email(&body.email).await?.is_some() {
        return Err(ApiError::Conflict(
            "a user with this e-mail exists".to_owned(),
        ));
    }
    let user = state
        .db
        .create_user(&body.email, name, body.role, body.team_id)
        .await?;
    audit(
        &state,
        &p,
        "user.create",
        Some(user.id.to_string()),
        Some(serde_json::json!({"role": body.role})),
    )
    .await?;
    Ok((StatusCode::CREATED, ApiJson(user)))
}

/// Change of a user's team.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UserTeam {
    /// The team, or null for none.
    pub team_id: Option<Uuid>,
}

/// Move a user to a team.
///
/// The agent's effective policy may change: bumps the policy version and pushes it.
#[utoipa::path(put, path = "/admin/users/{id}/team", operation_id = "adminSetUserTeam", tag = "Admin",
    params(("id" = Uuid, Path, description = "User id")),
    request_body = UserTeam,
    responses((status = 204, description = "Moved"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_user_team(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UserTeam>,
) -> ApiResult<StatusCode> {
    admin(&p)?;
    if let Some(t) = body.team_id
        && !state.db.team_exists(t).await?
    {
        return Err(ApiError::Unprocessable("team_id: no such team".to_owned()));
    }
    if !state.db.set_user_team(id, body.team_id).await? {
        return Err(ApiError::NotFound("user not found".to_owned()));
    }
    state.tokens.clear();
    state.db.bump_policy_version().await?;
    state.republish_policies().await?;
    audit(
        &state,
        &p,
        "user.team",
        Some(id.to_string()),
        Some(serde_json::json!({"team_id": body.team_id})),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new API token.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewToken {
    /// What it is for.
    pub label: Option<String>,
    /// Days until it expires (none: never).
    pub expires_in_days: Option<u32>,
}

/// A token's secret, shown once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IssuedToken {
    /// Token id (to revoke it).
    pub id: Uuid,
    /// The secret: `Authorization: Bearer <token>`.
    pub token: String,
    /// Expiry, Unix ms.
    pub expires_at_ms: Option<i64>,
}

/// Issue an API token for a user.
#[utoipa::path(post, path = "/admin/users/{id}/tokens", operation_id = "adminIssueToken", tag = "Admin",
    params(("id" = Uuid, Path, description = "User id")),
    request_body = NewToken,
    responses((status = 201, body = IssuedToken), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn issue_token(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, ApiJson<IssuedToken>)> {
    admin(&p)?;
    state
        .db
        .user(id)
        .await?
        .ok_or_else(|| ApiError::NotFound("user not found".to_owned()))?;
    let expires_at_ms = body
        .expires_in_days
        .map(|d| now_ms().saturating_add(i64::from(d) * 86_400_000));
    let (token_id, token) = auth::issue(
        &state,
        TokenKind::Api,
        id,
        None,
        body.label.as_deref(),
        expires_at_ms,
    )
    .await?;
    audit(
        &state,
        &p,
        "token.issue",
        Some(token_id.to_string()),
        Some(serde_json::json!({"user": id})),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(IssuedToken {
            id: token_id,
            token,
            expires_at_ms,
        }),
    ))
}

/// Revoke a token (API, device or enrollment).
#[utoipa::path(delete, path = "/admin/tokens/{id}", operation_id = "adminRevokeToken", tag = "Admin",
    params(("id" = Uuid, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    admin(&p)?;
    if !state.db.revoke_token(id).await? {
        return Err(ApiError::NotFound(
            "token not found or already revoked".to_owned(),
        ));
    }
    state.tokens.clear();
    audit(&state, &p, "token.revoke", Some(id.to_string()), None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new enrollment token.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewEnrollment {
    /// The agent the device will record for.
    pub user_id: Uuid,
    /// Hours until it expires (default 72).
    pub expires_in_hours: Option<u32>,
}

/// Issue an enrollment token (single use) for an agent's workstation.
#[utoipa::path(post, path = "/admin/enrollment-tokens", operation_id = "adminIssueEnrollmentToken", tag = "Admin",
    request_body = NewEnrollment,
    responses((status = 201, body = IssuedToken), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn issue_enrollment(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<NewEnrollment>,
) -> ApiResult<(StatusCode, ApiJson<IssuedToken>)> {
    admin(&p)?;
    let user = state
        .db
        .user(body.user_id)
        .await?
        .ok_or_else(|| ApiError::Unprocessable("user_id: no such user".to_owned()))?;
    if !matches!(user.role, Role::Member | Role::Supervisor) {
        return Err(ApiError::Unprocessable(
            "user_id: only agents enroll devices".to_owned(),
        ));
    }
    let hours = body.expires_in_hours.unwrap_or(72).clamp(1, 24 * 90);
    let expires_at_ms = Some(now_ms() + i64::from(hours) * 3_600_000);
    let (id, token) = auth::issue(
        &state,
        TokenKind::Enrollment,
        user.id,
        None,
        Some("enrollment"),
        expires_at_ms,
    )
    .await?;
    audit(
        &state,
        &p,
        "enrollment.issue",
        Some(id.to_string()),
        Some(serde_json::json!({"user": user.id})),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(IssuedToken {
            id,
            token,
            expires_at_ms,
        }),
    ))
}

/// A new team.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTeam {
    /// Name (unique).
    pub name: String,
}

/// List teams.
#[utoipa::path(get, path = "/admin/teams", operation_id = "adminListTeams", tag = "Admin",
    responses((status = 200, body = Vec<Team>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_teams(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<ApiJson<Vec<Team>>> {
    admin(&p)?;
    Ok(ApiJson(state.db.list_teams().await?))
}

/// Create a team.
#[utoipa::path(post, path = "/admin/teams", operation_id = "adminCreateTeam", tag = "Admin",
    request_body = NewTeam,
    responses((status = 201, body = Team), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_team(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<NewTeam>,
) -> ApiResult<(StatusCode, ApiJson<Team>)> {
    admin(&p)?;
    let name = body.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError::Unprocessable("name: 1 to 200 bytes".to_owned()));
    }
    if state.db.list_teams().await?.iter().any(|t| t.name == name) {
        return Err(ApiError::Conflict(
            "a team with this name exists".to_owned(),
        ));
    }
    let team = state.db.create_team(name).await?;
    audit(&state, &p, "team.create", Some(team.id.to_string()), None).await?;
    Ok((StatusCode::CREATED, ApiJson(team)))
}

/// A supervisor to add to a team.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TeamSupervisor {
    /// The supervisor's user id.
    pub user_id: Uuid,
}

/// Let a supervisor see a team's recordings.
#[utoipa::path(post, path = "/admin/teams/{id}/supervisors", operation_id = "adminAddSupervisor", tag = "Admin",
    params(("id" = Uuid, Path, description = "Team id")),
    request_body = TeamSupervisor,
    responses((status = 204, description = "Added"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_supervisor(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(team): ApiPath<Uuid>,
    ApiJson(body): ApiJson<TeamSupervisor>,
) -> ApiResult<StatusCode> {
    admin(&p)?;
    if !state.db.team_exists(team).await? {
        return Err(ApiError::NotFound("team not found".to_owned()));
    }
    let user = state.db.user(body.user_id).await?;
    if !user.is_some_and(|u| u.role == Role::Supervisor) {
        return Err(ApiError::Unprocessable(
            "user_id: not a supervisor".to_owned(),
        ));
    }
    state.db.add_supervisor_team(body.user_id, team).await?;
    audit(
        &state,
        &p,
        "team.supervisor",
        Some(team.to_string()),
        Some(serde_json::json!({"user": body.user_id})),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn policy_error(e: PolicyChangeError) -> ApiError {
    match e {
        PolicyChangeError::Invalid(e) => ApiError::Unprocessable(e.to_string()),
        PolicyChangeError::NoTeam => ApiError::NotFound("team not found".to_owned()),
        PolicyChangeError::Db(e) => e.into(),
    }
}

/// The org policy.
#[utoipa::path(get, path = "/admin/policy", operation_id = "adminGetPolicy", tag = "Admin",
    responses((status = 200, description = "`core::policy::Policy` with its version", body = Object),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn get_policy(State(state): State<AppState>, p: Principal) -> ApiResult<ApiJson<Policy>> {
    admin(&p)?;
    Ok(ApiJson(state.db.policy_set().await?.org))
}

/// Replace the org policy.
///
/// The whole document (`core::policy::Policy`), validated strictly (unknown fields refused;
/// errors name the field). `version` is assigned by the server. Pushed to every connected app.
#[utoipa::path(put, path = "/admin/policy", operation_id = "adminPutPolicy", tag = "Admin",
    request_body(content = Object, description = "`core::policy::Policy`", content_type = "application/json"),
    responses((status = 200, description = "The stored policy with its new version", body = Object),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_policy(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<ApiJson<Policy>> {
    admin(&p)?;
    let mut doc = body;
    if let Value::Object(fields) = &mut doc {
        // The server assigns versions; a client echoing the one it read is fine.
        fields.remove("version");
    }
    let policy =
        Policy::from_json(&doc.to_string()).map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let version = state
        .db
        .set_org_policy(&policy)
        .await
        .map_err(policy_error)?;
    state.republish_policies().await?;
    audit(
        &state,
        &p,
        "policy.update",
        None,
        Some(serde_json::json!({"version": version})),
    )
    .await?;
    Ok(ApiJson(state.db.policy_set().await?.org))
}

/// A team's override and the policy it produces.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TeamPolicy {
    /// The override (partial policy document, merged over the org policy), or null.
    #[schema(value_type = Option<Object>)]
    pub r#override: Option<Value>,
    /// The team's effective policy.
    #[schema(value_type = Object)]
    pub effective: Policy,
}

/// A team's policy override.
#[utoipa::path(get, path = "/admin/teams/{id}/policy", operation_id = "adminGetTeamPolicy", tag = "Admin",
    params(("id" = Uuid, Path, description = "Team id")),
    responses((status = 200, body = TeamPolicy), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get_team_policy(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(team): ApiPath<Uuid>,
) -> ApiResult<ApiJson<TeamPolicy>> {
    admin(&p)?;
    let over = state
        .db
        .team_override(team)
        .await?
        .ok_or_else(|| ApiError::NotFound("team not found".to_owned()))?;
    let set = state.db.policy_set().await?;
    Ok(ApiJson(TeamPolicy {
        r#override: over,
        effective: set.effective(Some(team)).clone(),
    }))
}

/// Set a team's policy override.
///
/// A partial policy document merged over the org policy (RFC 7386); the result must validate.
#[utoipa::path(put, path = "/admin/teams/{id}/policy", operation_id = "adminPutTeamPolicy", tag = "Admin",
    params(("id" = Uuid, Path, description = "Team id")),
    request_body(content = Object, description = "Partial `core::policy::Policy`", content_type = "application/json"),
    responses((status = 200, body = TeamPolicy), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_team_policy(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(team): ApiPath<Uuid>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<ApiJson<TeamPolicy>> {
    admin(&p)?;
    if !body.is_object() {
        return Err(ApiError::Unprocessable("expected a JSON object".to_owned()));
    }
    let mut patch = body;
    if let Value::Object(f) = &mut patch {
        f.remove("version");
    }
    let org = state.db.policy_set().await?.org;
    apply_override(&org, &patch).map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let version = state
        .db
        .set_team_override(team, Some(&patch))
        .await
        .map_err(policy_error)?;
    state.republish_policies().await?;
    audit(
        &state,
        &p,
        "policy.team.update",
        Some(team.to_string()),
        Some(serde_json::json!({"version": version})),
    )
    .await?;
    get_team_policy(State(state), p, ApiPath(team)).await
}

/// Remove a team's policy override.
#[utoipa::path(delete, path = "/admin/teams/{id}/policy", operation_id = "adminDeleteTeamPolicy", tag = "Admin",
    params(("id" = Uuid, Path, description = "Team id")),
    responses((status = 204, description = "Removed"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn delete_team_policy(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(team): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    admin(&p)?;
    let version = state
        .db
        .set_team_override(team, None)
        .await
        .map_err(policy_error)?;
    state.republish_policies().await?;
    audit(
        &state,
        &p,
        "policy.team.delete",
        Some(team.to_string()),
        Some(serde_json::json!({"version": version})),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The fleet: every enrolled device with its last heartbeat.
#[utoipa::path(get, path = "/admin/devices", operation_id = "adminFleet", tag = "Admin",
    responses((status = 200, body = Vec<DeviceStatus>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn fleet(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<ApiJson<Vec<DeviceStatus>>> {
    admin(&p)?;
    Ok(ApiJson(state.db.list_devices().await?))
}

/// Revoke a device: every credential it holds stops working at once (401). The workstation
/// has to enroll again with a new enrollment token.
#[utoipa::path(delete, path = "/admin/devices/{id}", operation_id = "adminRevokeDevice", tag = "Admin",
    params(("id" = Uuid, Path, description = "Device id")),
    responses((status = 204, description = "Revoked"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn revoke_device(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    admin(&p)?;
    if state.db.revoke_device_tokens(id).await? == 0 {
        return Err(ApiError::NotFound(
            "device not found or already revoked".to_owned(),
        ));
    }
    state.tokens.clear();
    audit(&state, &p, "device.revoke", Some(id.to_string()), None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Query of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Page number (from 1).
    #[param(minimum = 1, default = 1)]
    pub page: Option<i64>,
    /// Only this action (`recording.view`, `recording.download`, `auth.failure`, …).
    pub action: Option<String>,
}

/// A page of the audit log.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    /// Pagination.
    pub pagination: Pagination,
    /// Entries, newest first.
    pub records: Vec<AuditEntry>,
}

/// The audit log.
#[utoipa::path(get, path = "/admin/audit", operation_id = "adminAudit", tag = "Admin",
    params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn audit_log(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<ApiJson<AuditPage>> {
    admin(&p)?;
    let page = q.page.unwrap_or(1);
    if !(1..=1_000_000).contains(&page) {
        return Err(ApiError::BadRequest(
            "page must be between 1 and 1000000".to_owned(),
        ));
    }
    let items = 50;
    let (records, count) = state
        .db
        .audit_page(q.action.as_deref(), (page - 1) * items, items)
        .await?;
    Ok(ApiJson(AuditPage {
        pagination: Pagination::new(count, page, items, records.len() as i64),
        records,
    }))
}

/// A legal hold change.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LegalHold {
    /// Whether the recording is exempt from retention.
    pub hold: bool,
}

/// Set or lift a legal hold.
#[utoipa::path(put, path = "/admin/recordings/{uuid}/legal-hold", operation_id = "adminLegalHold", tag = "Admin",
    params(("uuid" = Uuid, Path, description = "The recording's UUID")),
    request_body = LegalHold,
    responses((status = 204, description = "Set"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn legal_hold(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<LegalHold>,
) -> ApiResult<StatusCode> {
    admin(&p)?;
    if !state.db.set_legal_hold(id, body.hold).await? {
        return Err(ApiError::recording_not_found());
    }
    audit(
        &state,
        &p,
        "recording.legal_hold",
        Some(id.to_string()),
        Some(serde_json::json!({"hold": body.hold})),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a recording (objects and rows), unless on legal hold.
#[utoipa::path(delete, path = "/admin/recordings/{uuid}", operation_id = "adminDeleteRecording", tag = "Admin",
    params(("uuid" = Uuid, Path, description = "The recording's UUID")),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "On legal hold", body = ErrorBody)))]
pub async fn delete_recording(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    admin(&p)?;
    let row = state
        .db
        .recording(id)
        .await?
        .ok_or_else(ApiError::recording_not_found)?;
    if row.legal_hold {
        return Err(ApiError::Conflict("recording is on legal hold".to_owned()));
    }
    retention::delete(&state, id, &p.actor(), "deleted by an admin").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Run the retention job now.
#[utoipa::path(post, path = "/admin/retention/run", operation_id = "adminRunRetention", tag = "Admin",
    responses((status = 200, body = RetentionReport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn run_retention(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<ApiJson<RetentionReport>> {
    admin(&p)?;
    let report = retention::run(&state).await?;
    audit(
        &state,
        &p,
        "retention.run",
        None,
        Some(serde_json::json!({"deleted": report.deleted.len()})),
    )
    .await?;
    Ok(ApiJson(report))
}
