// Keeping several media elements on one clock, pure: the call audio is the master; each
// monitor's video follows it. Small drift is corrected by nudging the follower's playback
// rate (no visible jump); large drift (a seek, a stall, a gap) by seeking the follower.
//
// Why not leave it to the browser: each <video> has its own clock and buffering, hls.js
// instances stall independently, and MediaController (mediagroup) was removed from browsers.

export interface MasterState {
  /** Seconds. */
  time: number;
  rate: number;
  paused: boolean;
  seeking: boolean;
}

export interface FollowerState {
  time: number;
  rate: number;
  paused: boolean;
  seeking: boolean;
  /** Whether the follower has media at the master's time (false: before its start, in a gap). */
  hasMediaAt: boolean;
}

export interface SyncAction {
  seekTo?: number;
  rate?: number;
  play?: boolean;
  pause?: boolean;
}

export interface SyncTuning {
  /** Drift above which the follower is seeked, s. */
  seekThreshold: number;
  /** Drift below which nothing is done, s. */
  deadband: number;
  /** Rate change per second of drift. */
  gain: number;
  /** Largest relative rate change. */
  maxNudge: number;
  /** Drift tolerated while paused before re-seeking, s. */
  pausedTolerance: number;
}

export const DEFAULT_TUNING: SyncTuning = {
  seekThreshold: 0.3,
  deadband: 0.015,
  gain: 1.5,
  maxNudge: 0.25,
  pausedTolerance: 0.02,
};

/** What to do to one follower, given the master. */
export function decide(master: MasterState, f: FollowerState, tuning: SyncTuning = DEFAULT_TUNING): SyncAction {
  const action: SyncAction = {};
  const drift = f.time - master.time;
  // A follower's pending seek normally lands in a moment. One into a stretch where the track
  // has no media (its side of a pause gap, before its first frame) never does: once the
  // master's time has media buffered, a new seek there replaces it.
  const staleSeek = f.seeking && f.hasMediaAt;
  if (master.paused || master.seeking || !f.hasMediaAt) {
    if (!f.paused) action.pause = true;
    if ((!f.seeking || staleSeek) && Math.abs(drift) > tuning.pausedTolerance) action.seekTo = master.time;
    if (f.rate !== master.rate) action.rate = master.rate;
    return action;
  }
  if (f.seeking) {
    if (staleSeek && Math.abs(drift) > tuning.seekThreshold) {
      action.seekTo = master.time;
      action.rate = master.rate;
    }
    return action;
  }
  if (Math.abs(drift) > tuning.seekThreshold) {
    action.seekTo = master.time;
    action.rate = master.rate;
  } else {
    const nudge = Math.abs(drift) <= tuning.deadband ? 0 : clamp(-drift * tuning.gain, -tuning.maxNudge, tuning.maxNudge);
    const rate = round3(master.rate * (1 + nudge));
    if (rate !== f.rate) action.rate = rate;
  }
  if (f.paused) action.play = true;
  return action;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** Whether `time` falls in one of the `buffered`-like ranges (with a little slack). */
export function covered(time: number, ranges: { start: number; end: number }[], slack = 0.25): boolean {
  return ranges.some((r) => time >= r.start - slack && time <= r.end + slack);
}

/** The largest |follower − master| of a sample, s (what the end-to-end test measures). */
export function maxDrift(master: number, followers: number[]): number {
  return followers.reduce((m, t) => Math.max(m, Math.abs(t - master)), 0);
}

/** Playback speeds offered (NICE's player goes to 3×). */
export const SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3];

/** The next speed up or down from `rate`. */
export function stepSpeed(rate: number, dir: 1 | -1): number {
  const i = SPEEDS.findIndex((s) => s >= rate - 1e-6);
  const at = i === -1 ? SPEEDS.length - 1 : i;
  const exact = Math.abs(SPEEDS[at] - rate) < 1e-6;
  const next = dir > 0 ? (exact ? at + 1 : at) : at - 1;
  return SPEEDS[clamp(next, 0, SPEEDS.length - 1)];
}

/**
 * Where to seek a follower for the master's time `t`: `t` itself where the track has media
 * (or its media is not known yet), else the start of its next stretch of media (it waits there,
 * paused, until the master gets there), else the end of its last one. A seek into a stretch
 * without media never completes (hls.js does not load GAP segments), so it is never asked for.
 */
export function seekTarget(t: number, media: { start: number; end: number }[] | null): number {
  if (!media || media.length === 0) return t;
  if (media.some((r) => t >= r.start && t < r.end)) return t;
  const next = media.find((r) => r.start > t);
  return next ? next.start : Math.max(0, media[media.length - 1].end - 0.05);
}
