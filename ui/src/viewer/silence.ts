// Skip-silence, pure part: finds the silent stretches of the call audio from decoded samples,
// and where playback jumps when it enters one. The player decodes the audio segment by
// segment (each at its own place on the timeline, so pause gaps stay where they are).
import type { Span } from "./timeline";

export interface SilenceOptions {
  /** Window over which loudness is measured, ms. */
  windowMs: number;
  /** RMS below this (full scale = 1) is silence: ~ −46 dBFS. */
  threshold: number;
  /** Only stretches at least this long are skipped, ms. */
  minMs: number;
  /** Kept before speech resumes, ms, so the first syllable is heard. */
  keepMs: number;
}

export const DEFAULT_SILENCE: SilenceOptions = { windowMs: 50, threshold: 0.005, minMs: 1500, keepMs: 300 };

/**
 * Silent stretches of `channels` (all channels at `sampleRate`), offset by `startMs` on the
 * timeline: a window is silent when every channel is below the threshold.
 */
export function silentRanges(
  channels: Float32Array[],
  sampleRate: number,
  startMs: number,
  opts: SilenceOptions = DEFAULT_SILENCE,
): Span[] {
  if (channels.length === 0) return [];
  const win = Math.max(1, Math.round((sampleRate * opts.windowMs) / 1000));
  const length = Math.min(...channels.map((c) => c.length));
  const out: Span[] = [];
  let runStart: number | null = null;
  for (let i = 0; i < length; i += win) {
    const end = Math.min(length, i + win);
    let loud = false;
    for (const c of channels) {
      let sum = 0;
      for (let j = i; j < end; j++) sum += c[j] * c[j];
      if (Math.sqrt(sum / (end - i)) >= opts.threshold) {
        loud = true;
        break;
      }
    }
    const t = startMs + (i * 1000) / sampleRate;
    if (!loud && runStart === null) runStart = t;
    if (loud && runStart !== null) {
      out.push({ startMs: runStart, endMs: t });
      runStart = null;
    }
  }
  if (runStart !== null) out.push({ startMs: runStart, endMs: startMs + (length * 1000) / sampleRate });
  return out;
}

/** Sorted, with touching or overlapping stretches joined (segments border each other). */
export function mergeRanges(list: Span[], joinMs = 60): Span[] {
  const sorted = [...list].sort((a, b) => a.startMs - b.startMs);
  const out: Span[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.startMs <= last.endMs + joinMs) last.endMs = Math.max(last.endMs, r.endMs);
    else out.push({ ...r });
  }
  return out;
}

/** Where to jump from `ms`, or null: inside a long-enough stretch, to just before its end. */
export function skipTarget(ms: number, ranges: Span[], opts: SilenceOptions = DEFAULT_SILENCE): number | null {
  for (const r of ranges) {
    if (r.endMs - r.startMs < opts.minMs) continue;
    const target = r.endMs - opts.keepMs;
    if (ms >= r.startMs && ms < target - 100) return target;
  }
  return null;
}

/** Time saved by skipping, ms. */
export function skippedTotal(ranges: Span[], opts: SilenceOptions = DEFAULT_SILENCE): number {
  return ranges
    .filter((r) => r.endMs - r.startMs >= opts.minMs)
    .reduce((sum, r) => sum + (r.endMs - opts.keepMs - r.startMs), 0);
}
