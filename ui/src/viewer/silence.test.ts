import { describe, expect, it } from "vitest";
import { DEFAULT_SILENCE, mergeRanges, silentRanges, skipTarget, skippedTotal } from "./silence";

function tone(seconds: number, rate: number, amplitude: number): Float32Array {
  const a = new Float32Array(Math.round(seconds * rate));
  for (let i = 0; i < a.length; i++) a[i] = amplitude * Math.sin((2 * Math.PI * 440 * i) / rate);
  return a;
}

function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe("silentRanges", () => {
  const rate = 8000;
  it("finds the quiet stretch between speech, offset by the segment's start", () => {
    const left = concat(tone(1, rate, 0.3), tone(2, rate, 0.001), tone(1, rate, 0.3));
    const right = new Float32Array(left.length);
    const r = silentRanges([left, right], rate, 10_000);
    expect(r).toHaveLength(1);
    expect(r[0].startMs).toBeCloseTo(11_000, -2);
    expect(r[0].endMs).toBeCloseTo(13_000, -2);
  });
  it("is not silent while either side speaks", () => {
    const agent = concat(tone(1, rate, 0.3), tone(1, rate, 0));
    const customer = concat(tone(1, rate, 0), tone(1, rate, 0.3));
    expect(silentRanges([agent, customer], rate, 0)).toEqual([]);
  });
  it("runs a trailing silence to the end", () => {
    const r = silentRanges([concat(tone(1, rate, 0.3), tone(3, rate, 0))], rate, 0);
    expect(r[0].endMs).toBe(4000);
  });
});

describe("skipping", () => {
  const ranges = mergeRanges([
    { startMs: 5000, endMs: 7000 },
    { startMs: 7020, endMs: 12000 },
    { startMs: 20000, endMs: 20800 },
  ]);
  it("joins stretches that touch across segment borders", () => {
    expect(ranges).toEqual([
      { startMs: 5000, endMs: 12000 },
      { startMs: 20000, endMs: 20800 },
    ]);
  });
  it("jumps to just before speech resumes, only over long-enough stretches", () => {
    expect(skipTarget(6000, ranges)).toBe(12000 - DEFAULT_SILENCE.keepMs);
    expect(skipTarget(4999, ranges)).toBeNull();
    expect(skipTarget(11_650, ranges)).toBeNull(); // already at the end: no jump back and forth
    expect(skipTarget(20100, ranges)).toBeNull(); // 0.8 s: a pause in speech, kept
  });
  it("says how much time skipping saves", () => {
    expect(skippedTotal(ranges)).toBe(7000 - DEFAULT_SILENCE.keepMs);
  });
});
