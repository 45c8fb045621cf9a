// Wire types of the app's status, as the Rust side serializes them (src-tauri/src/status.rs and
// agentrec-core's Snapshot). Kept by hand: the shapes are small and the WebDriver tests catch drift.

export type Action = "start" | "pause" | "resume" | "stop" | "accept_prompt" | "decline_prompt";

export type RecordingMode = "always_on" | "pause_resume" | "on_demand" | "on_demand_uis";

export type RecordingStatus =
  | { status: "idle" }
  | { status: "not_recorded"; reason: string }
  | { status: "waiting" }
  | { status: "recording" }
  | { status: "paused" }
  | { status: "stopped" }
  | { status: "ended" };

export type Source = { kind: "monitor"; monitor: string } | { kind: "microphone" } | { kind: "system" };

export interface CallSnapshot {
  call_id: string;
  kind: "voice" | "live";
  phase: "active" | "held" | "wrap_up";
  acd: boolean;
  queue: string | null;
  participants: number;
}

export interface Snapshot {
  call: CallSnapshot | null;
  status: RecordingStatus;
  recording: string | null;
  mode: RecordingMode;
  allowed: Action[];
  prompt_pending: boolean;
  recorded_ms: number;
  monitors: string[];
  failing: Source[];
  policy_version: number;
}

export type TrayState = "idle" | "recording" | "paused" | "uploading" | "error";

export interface CaptureStatus {
  available: boolean;
  detail: string;
}

export type ServerStatus =
  | { state: "not_configured" }
  | { state: "not_connected"; url: string; detail: string }
  | { state: "connected"; url: string };

export type UploadBacklog = { state: "unknown"; detail: string } | { state: "known"; segments: number; bytes: number };

export type EnrollmentStatus =
  | { state: "needs_input" }
  | { state: "pending"; server_url: string; source: "managed" | "user"; detail: string }
  | { state: "needs_token"; server_url: string; source: "managed" | "user"; detail: string }
  | { state: "enrolled"; server_url: string; source: "managed" | "user" }
  | { state: "failed"; detail: string };

export interface AgentStatus {
  capture: CaptureStatus;
  server: ServerStatus;
  upload_backlog: UploadBacklog;
  enrollment: EnrollmentStatus;
  config_error: string | null;
  policy_source: "cache" | "default";
  consent_notice: string | null;
  last_problem: string | null;
}

export interface StatusView {
  recorder: Snapshot;
  agent: AgentStatus;
  tray_state: TrayState;
  needs_attention: boolean;
}

/** The typed error of the `act` command (Rust `ActError`). */
export type ActError =
  | { kind: "refused"; message: string; refusal: { kind: string } }
  | { kind: "recorder_unavailable"; message: string };

export type EnrollError = { kind: "invalid_url" | "missing_token" | "save_failed" | "already_managed"; message: string };
