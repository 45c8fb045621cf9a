-- The supervisor viewer: folders and labels, bookmarks/comments at a time position, share
-- links, and org settings (share-link visibility rules). Same portable types as 0001.

ALTER TABLE recordings ADD COLUMN folder TEXT;
CREATE INDEX recordings_by_folder ON recordings (folder);

CREATE TABLE recording_labels (
    recording_id TEXT NOT NULL REFERENCES recordings (id),
    label TEXT NOT NULL,
    PRIMARY KEY (recording_id, label)
);
CREATE INDEX recording_labels_by_label ON recording_labels (label);

-- A bookmark is a comment at a position of the recording's timeline.
CREATE TABLE bookmarks (
    id TEXT PRIMARY KEY,
    recording_id TEXT NOT NULL REFERENCES recordings (id),
    author_id TEXT NOT NULL REFERENCES users (id),
    offset_ms BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX bookmarks_by_recording ON bookmarks (recording_id, offset_ms);

-- Only the SHA-256 of a link's secret is kept, as for tokens.
CREATE TABLE share_links (
    id TEXT PRIMARY KEY,
    recording_id TEXT NOT NULL REFERENCES recordings (id),
    hash TEXT NOT NULL UNIQUE,
    visibility TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX share_links_by_recording ON share_links (recording_id);

CREATE TABLE org_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
