// Wire types of the ingest server's public API as the viewer reads them (kept in step with
// ingest/src/api/model.rs, bookmarks.rs, labels.rs, shares.rs, me.rs).

export type Role = "admin" | "supervisor" | "member" | "integration";
export type ShareVisibility = "anyone_with_link" | "members_only";
export type RecordingType = "Received" | "Sent" | "Live";

export interface Me {
  email: string;
  name: string;
  role: Role;
  can_view_recordings: boolean;
  can_edit: boolean;
  sharing: { live: ShareVisibility; calls: ShareVisibility };
}

export interface Pagination {
  count: number;
  page: number;
  items: number;
  pages: number;
  next_page: number | null;
  prev_page: number | null;
  last_page: number;
  from: number;
  to: number;
}

export interface DesktopRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** `core::media::TrackInfo`. */
export type TrackInfo =
  | {
      track: number;
      codec: string;
      timescale: number;
      start_ms: number;
      kind: "video";
      monitor: string;
      width: number;
      height: number;
      desktop: DesktopRect;
      primary: boolean;
    }
  | {
      track: number;
      codec: string;
      timescale: number;
      start_ms: number;
      kind: "audio";
      sample_rate: number;
      channels: number;
    };

export interface TrackView {
  track: number;
  info: TrackInfo;
  playlist_url: string;
  poster_url: string | null;
}

/** `core::recorder::TimelineEvent`: `offset_ms` and `event`, plus per-event fields. */
export interface TimelineEvent {
  offset_ms: number;
  event: string;
  [field: string]: unknown;
}

export interface RecordingActions {
  download: boolean;
  edit: boolean;
  share: boolean;
  bookmark: boolean;
}

export interface Recording {
  uuid: string;
  title: string | null;
  summary: string | null;
  description: string | null;
  metadata: {
    created_at: string;
    updated_at: string;
    duration: number | null;
    impressions_count: number;
    recording_type: RecordingType;
    recording_source: string;
    url: string;
  };
  customer: { email: string | null };
  user: { email: string; name: string } | null;
  agentrec: {
    state: "open" | "finalized";
    outcome: "complete" | "partial" | null;
    end_reason: string | null;
    call_id: string;
    call_kind: string;
    direction: string;
    queue: string | null;
    recorded_ms: number | null;
    duration_ms: number | null;
    legal_hold: boolean;
    started_at_ms: number;
    tracks: TrackView[];
    timeline: TimelineEvent[];
    missing: unknown[];
    download_url: string;
    labels: string[];
    folder: string | null;
    actions: RecordingActions;
  };
}

export interface RecordingList {
  pagination: Pagination;
  records: Recording[];
}

export interface Bookmark {
  id: string;
  offset_ms: number;
  body: string;
  author_email: string;
  author_name: string;
  created_at: string;
}

export interface FilterOptions {
  labels: string[];
  folders: string[];
  queues: string[];
}

export interface ShareLink {
  id: string;
  visibility: ShareVisibility;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  url: string | null;
}
