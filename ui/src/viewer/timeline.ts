// Timeline math of the player, pure: the call's events as markers, pause/stop gaps and hold
// ranges as spans, positions as fractions of the bar, times as text, and where the marker
// keys jump to. Offsets are milliseconds from the start of the recording (wall time, pauses
// included), as the server's `agentrec.timeline` gives them.
import type { Bookmark, TimelineEvent } from "./api/types";

export type MarkerKind =
  | "answered"
  | "hold"
  | "unhold"
  | "transfer"
  | "pause"
  | "resume"
  | "wrap_up"
  | "end"
  | "other";

export interface Marker {
  offsetMs: number;
  kind: MarkerKind;
  label: string;
}

export interface Span {
  startMs: number;
  endMs: number;
}

/** A gap is where nothing was captured (PCI pause, agent stop): the player jumps over it. */
export interface Gap extends Span {
  kind: "pause" | "stop";
}

const LABELS: Record<string, [MarkerKind, string]> = {
  answered: ["answered", "Answered"],
  held: ["hold", "On hold"],
  unheld: ["unhold", "Off hold"],
  transferred: ["transfer", "Transferred"],
  paused: ["pause", "Recording paused (PCI)"],
  resumed: ["resume", "Recording resumed"],
  stopped: ["pause", "Recording stopped by the agent"],
  restarted: ["resume", "Recording restarted"],
  call_ended: ["end", "Call ended"],
  wrap_up_started: ["wrap_up", "Wrap-up started"],
  wrap_up_completed: ["end", "Wrap-up completed"],
  recording_ended: ["end", "Recording ended"],
  capture_failed: ["other", "Capture failed"],
  capture_recovered: ["other", "Capture recovered"],
  monitor_added: ["other", "Monitor added"],
  monitor_removed: ["other", "Monitor removed"],
};

/** Shown on the bar: everything but the bookkeeping of the start. */
export function markers(events: TimelineEvent[], durationMs: number): Marker[] {
  const out: Marker[] = [];
  for (const e of events) {
    const known = LABELS[e.event];
    if (!known) continue;
    let label = known[1];
    if (e.event === "transferred" && typeof e.to_agent === "string") label += ` to ${e.to_agent}`;
    out.push({ offsetMs: clamp(e.offset_ms, 0, durationMs), kind: known[0], label });
  }
  return out.sort((a, b) => a.offsetMs - b.offsetMs);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), Math.max(lo, hi));
}

function spans(
  events: TimelineEvent[],
  durationMs: number,
  opens: string[],
  closes: string[],
): (Span & { opener: string })[] {
  const sorted = [...events].sort((a, b) => a.offset_ms - b.offset_ms);
  const out: (Span & { opener: string })[] = [];
  let open: { at: number; opener: string } | null = null;
  for (const e of sorted) {
    if (opens.includes(e.event) && open === null) {
      open = { at: clamp(e.offset_ms, 0, durationMs), opener: e.event };
    } else if (closes.includes(e.event) && open !== null) {
      const end = clamp(e.offset_ms, 0, durationMs);
      if (end > open.at) out.push({ startMs: open.at, endMs: end, opener: open.opener });
      open = null;
    }
  }
  if (open !== null && durationMs > open.at) out.push({ startMs: open.at, endMs: durationMs, opener: open.opener });
  return out;
}

/** Pause/resume and stop/restart pairs; an unmatched pause runs to the end. */
export function gaps(events: TimelineEvent[], durationMs: number): Gap[] {
  return spans(events, durationMs, ["paused", "stopped"], ["resumed", "restarted", "recording_ended"]).map((s) => ({
    startMs: s.startMs,
    endMs: s.endMs,
    kind: s.opener === "stopped" ? "stop" : "pause",
  }));
}

/** Hold ranges (the customer heard hold music). */
export function holds(events: TimelineEvent[], durationMs: number): Span[] {
  return spans(events, durationMs, ["held"], ["unheld", "call_ended", "transferred"]).map(({ startMs, endMs }) => ({
    startMs,
    endMs,
  }));
}

/** Where a time sits on the bar, 0…1. */
export function fraction(offsetMs: number, durationMs: number): number {
  if (!(durationMs > 0)) return 0;
  return clamp(offsetMs / durationMs, 0, 1);
}

/** The time at a point of the bar. */
export function timeAt(frac: number, durationMs: number): number {
  return Math.round(clamp(frac, 0, 1) * Math.max(0, durationMs));
}

/** `m:ss`, or `h:mm:ss` from an hour on. */
export function formatTime(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** The gap `ms` falls in, if any. */
export function gapAt(ms: number, list: Span[]): Span | null {
  return list.find((g) => ms >= g.startMs && ms < g.endMs) ?? null;
}

/** Where playback continues from `ms`: past the gap it falls in, else `ms` itself. */
export function skipGaps(ms: number, list: Span[]): number {
  let t = ms;
  for (let guard = 0; guard < list.length + 1; guard++) {
    const g = gapAt(t, list);
    if (!g) break;
    t = g.endMs;
  }
  return t;
}

/** The next marker strictly after `ms` (ignoring the 500 ms just after, so a repeated key moves on). */
export function nextMarker(ms: number, list: { offsetMs: number }[]): number | null {
  const next = list.map((m) => m.offsetMs).filter((o) => o > ms + 500);
  return next.length ? Math.min(...next) : null;
}

/** The previous marker before `ms` (more than 1.5 s back, as a player's "previous" does). */
export function prevMarker(ms: number, list: { offsetMs: number }[]): number | null {
  const prev = list.map((m) => m.offsetMs).filter((o) => o < ms - 1500);
  return prev.length ? Math.max(...prev) : null;
}

/** Bookmarks as markers of their own. */
export function bookmarkMarkers(list: Bookmark[], durationMs: number): { offsetMs: number; label: string; id: string }[] {
  return list
    .map((b) => ({ offsetMs: clamp(b.offset_ms, 0, durationMs), label: `${b.author_name}: ${b.body}`, id: b.id }))
    .sort((a, b) => a.offsetMs - b.offsetMs);
}
