-- The catalog. Portable between SQLite and PostgreSQL through sqlx's Any driver, which carries
-- only null/integers/floats/text: ids are TEXT (UUIDs), times BIGINT Unix ms, flags BIGINT 0/1,
-- documents TEXT (JSON).

CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    policy_override TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    team_id TEXT REFERENCES teams (id),
    created_at BIGINT NOT NULL
);

CREATE TABLE supervisor_teams (
    user_id TEXT NOT NULL REFERENCES users (id),
    team_id TEXT NOT NULL REFERENCES teams (id),
    PRIMARY KEY (user_id, team_id)
);

-- Bearer credentials. Only the SHA-256 of the secret is kept.
CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    device_id TEXT,
    label TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT,
    used_at BIGINT
);

CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    hostname TEXT NOT NULL,
    os TEXT NOT NULL,
    app_version TEXT NOT NULL,
    enrolled_at BIGINT NOT NULL,
    last_seen_at BIGINT,
    heartbeat TEXT
);

-- One row: the org policy and the policy version, which every change (org or team) bumps.
CREATE TABLE policy_state (
    id BIGINT PRIMARY KEY,
    org_policy TEXT NOT NULL,
    version BIGINT NOT NULL
);

CREATE TABLE recordings (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    device_id TEXT NOT NULL,
    create_body TEXT NOT NULL,
    call_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    direction TEXT NOT NULL,
    queue TEXT,
    call_title TEXT,
    customer_email TEXT,
    started_at BIGINT NOT NULL,
    ip_address TEXT,
    title TEXT,
    summary TEXT,
    description TEXT,
    state TEXT NOT NULL,
    outcome TEXT,
    end_reason TEXT,
    finalized TEXT,
    missing TEXT,
    recorded_ms BIGINT,
    duration_ms BIGINT,
    size_bytes BIGINT,
    width BIGINT,
    height BIGINT,
    impressions BIGINT NOT NULL DEFAULT 0,
    legal_hold BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finalized_at BIGINT
);
CREATE INDEX recordings_by_user ON recordings (user_id, created_at);
CREATE INDEX recordings_by_created ON recordings (created_at);

CREATE TABLE tracks (
    recording_id TEXT NOT NULL REFERENCES recordings (id),
    track_no BIGINT NOT NULL,
    info TEXT NOT NULL,
    poster_key TEXT,
    poster_type TEXT,
    PRIMARY KEY (recording_id, track_no)
);

-- A row exists only once its object is durably stored: the row is the proof of presence.
-- seq 0 is the track's init segment.
CREATE TABLE segments (
    recording_id TEXT NOT NULL,
    track_no BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    start_ms BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    media_offset BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    object_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (recording_id, track_no, seq)
);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    actor TEXT,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT
);
CREATE INDEX audit_by_time ON audit_log (at_ms);
