// Pure helpers that turn the status into what people read. No DOM here: unit-tested with vitest.
import type { Action, RecordingMode, Source, StatusView, TrayState } from "./types";

/** Button and menu labels, worded as the desktop clients agents already know. */
export const ACTION_LABELS: Record<Action, string> = {
  start: "Start Recording",
  pause: "Pause Recording",
  resume: "Resume Recording",
  stop: "Stop Recording",
  accept_prompt: "Start",
  decline_prompt: "Cancel",
};

export const MODE_LABELS: Record<RecordingMode, string> = {
  always_on: "Always on",
  pause_resume: "Pause/Resume",
  on_demand: "On-Demand",
  on_demand_uis: "On-Demand UIS",
};

/** The one-word status shown at the top of the status window. */
export function statusLabel(view: StatusView): string {
  const s = view.recorder.status;
  switch (s.status) {
    case "idle":
      return "No call";
    case "not_recorded":
      return "Not recorded";
    case "waiting":
      return "Not recording";
    case "recording":
      return "Recording";
    case "paused":
      return "Paused";
    case "stopped":
      return "Stopped";
    case "ended":
      return "Recording ended";
  }
}

const NOT_RECORDED: Record<string, string> = {
  disabled: "recording is switched off for your organisation",
  not_acd: "only queue (ACD) calls are recorded",
  queue_not_listed: "this queue is not recorded",
  not_sampled: "this call was not picked for recording",
  live_sessions_off: "live sessions are not recorded",
};

export function notRecordedReason(reason: string): string {
  return NOT_RECORDED[reason] ?? reason.replace(/_/g, " ");
}

/** h:mm:ss, or m:ss under an hour. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/**
 * Recorded time now: the snapshot's `recorded_ms` is as of the Recorder's last input, so while
 * capturing we add the time since the snapshot arrived.
 */
export function recordedNow(view: StatusView, receivedAtMs: number, nowMs: number): number {
  const base = view.recorder.recorded_ms;
  return view.recorder.status.status === "recording" ? base + Math.max(0, nowMs - receivedAtMs) : base;
}

export function sourceLabel(source: Source): string {
  switch (source.kind) {
    case "monitor":
      return `monitor ${source.monitor}`;
    case "microphone":
      return "microphone";
    case "system":
      return "system audio";
  }
}

export const TRAY_STATE_LABELS: Record<TrayState, string> = {
  idle: "Idle",
  recording: "Recording",
  paused: "Paused",
  uploading: "Uploading backlog",
  error: "Problem",
};

export function bytesLabel(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** The action buttons to show: exactly what the Recorder allows, primary (start) first. */
export function offeredActions(view: StatusView): Action[] {
  return view.recorder.allowed.filter((a) => a !== "accept_prompt" && a !== "decline_prompt");
}
