import { describe, expect, it } from "vitest";
import { DEFAULT_TUNING, covered, decide, maxDrift, seekTarget, stepSpeed, type FollowerState, type MasterState } from "./sync";

const playing: MasterState = { time: 10, rate: 1, paused: false, seeking: false };
const follower = (over: Partial<FollowerState> = {}): FollowerState => ({
  time: 10,
  rate: 1,
  paused: false,
  seeking: false,
  hasMediaAt: true,
  ...over,
});

describe("decide", () => {
  it("leaves an in-sync follower alone", () => {
    expect(decide(playing, follower({ time: 10.01 }))).toEqual({});
  });
  it("slows a follower that is ahead and speeds one that is behind, proportionally", () => {
    const ahead = decide(playing, follower({ time: 10.08 }));
    expect(ahead.rate).toBeCloseTo(1 - 0.08 * DEFAULT_TUNING.gain, 3);
    const behind = decide(playing, follower({ time: 9.9 }));
    expect(behind.rate).toBeCloseTo(1 + 0.1 * DEFAULT_TUNING.gain, 3);
    expect(ahead.seekTo).toBeUndefined();
  });
  it("caps the nudge and scales it with the master's speed", () => {
    const fast = { ...playing, rate: 2 };
    const a = decide(fast, follower({ time: 9.75, rate: 2 }));
    expect(a.rate).toBeCloseTo(2 * (1 + DEFAULT_TUNING.maxNudge), 3);
  });
  it("seeks a follower that drifted past the threshold (a seek, a stall, a gap)", () => {
    expect(decide(playing, follower({ time: 12 }))).toEqual({ seekTo: 10, rate: 1 });
    expect(decide(playing, follower({ time: 9.6 })).seekTo).toBe(10);
  });
  it("starts a paused follower when the master plays", () => {
    expect(decide(playing, follower({ paused: true }))).toEqual({ play: true });
  });
  it("pauses followers with the master and lines them up exactly", () => {
    const paused = { ...playing, paused: true };
    expect(decide(paused, follower())).toEqual({ pause: true });
    expect(decide(paused, follower({ paused: true, time: 10.5 }))).toEqual({ seekTo: 10 });
    expect(decide(paused, follower({ paused: true, time: 10.01 }))).toEqual({});
  });
  it("holds a follower that has no media at the master's time", () => {
    expect(decide(playing, follower({ hasMediaAt: false, time: 3 }))).toEqual({ pause: true, seekTo: 10 });
  });
  it("waits for a follower's own seek to finish", () => {
    expect(decide(playing, follower({ seeking: true, time: 9.9 }))).toEqual({});
    expect(decide(playing, follower({ seeking: true, paused: true, time: 4, hasMediaAt: false }))).toEqual({});
  });
  it("replaces a seek stuck where the track has no media once the master's time has", () => {
    // Seeked into the video's side of a pause gap (no media there, the seek never lands);
    // the master played on to where the video has media again.
    expect(decide(playing, follower({ seeking: true, time: 4 }))).toEqual({ seekTo: 10, rate: 1 });
    const paused: MasterState = { ...playing, paused: true };
    expect(decide(paused, follower({ seeking: true, paused: true, time: 4 }))).toEqual({ seekTo: 10 });
  });
  it("copies the master's speed to a paused follower", () => {
    expect(decide({ ...playing, paused: true, rate: 1.5 }, follower({ paused: true }))).toEqual({ rate: 1.5 });
  });
});

describe("helpers", () => {
  it("tells whether a time is buffered", () => {
    const ranges = [
      { start: 0, end: 12 },
      { start: 18, end: 26 },
    ];
    expect(covered(5, ranges)).toBe(true);
    expect(covered(15, ranges)).toBe(false);
    expect(covered(12.2, ranges)).toBe(true);
  });
  it("measures the worst drift", () => {
    expect(maxDrift(10, [10.02, 9.95, 10.01])).toBeCloseTo(0.05, 6);
    expect(maxDrift(10, [])).toBe(0);
  });
  it("steps through the offered speeds, from 0.5× to 3×", () => {
    expect(stepSpeed(1, 1)).toBe(1.25);
    expect(stepSpeed(1, -1)).toBe(0.75);
    expect(stepSpeed(3, 1)).toBe(3);
    expect(stepSpeed(0.5, -1)).toBe(0.5);
    expect(stepSpeed(1.1, 1)).toBe(1.25);
    expect(stepSpeed(1.1, -1)).toBe(1);
  });
});

describe("a simulated playback", () => {
  it("pulls followers with different clock errors within 100 ms and keeps them there", () => {
    // Three followers whose clocks run 3 % fast, 2 % slow, and one that starts 250 ms late.
    const skew = [1.03, 0.98, 1];
    const f = [follower({ time: 0 }), follower({ time: 0 }), follower({ time: -0.25 })];
    let master = 0;
    const dt = 0.1;
    let worstAfterSettle = 0;
    for (let step = 0; step < 600; step++) {
      master += dt;
      f.forEach((x, i) => {
        x.time += dt * x.rate * skew[i];
        const a = decide({ time: master, rate: 1, paused: false, seeking: false }, x);
        if (a.seekTo !== undefined) x.time = a.seekTo;
        if (a.rate !== undefined) x.rate = a.rate;
      });
      if (step > 30) worstAfterSettle = Math.max(worstAfterSettle, maxDrift(master, f.map((x) => x.time)));
    }
    expect(worstAfterSettle).toBeLessThan(0.1);
  });
});

describe("seekTarget", () => {
  // A monitor of the E2E fixture: media 0.25–8.83 s, pause gap, media again 16.2–24.0 s.
  const media = [
    { start: 0.25, end: 8.83 },
    { start: 16.2, end: 24.0 },
  ];
  it("keeps the master's time where the track has media, or while its media is unknown", () => {
    expect(seekTarget(5, media)).toBe(5);
    expect(seekTarget(16.2, media)).toBe(16.2);
    expect(seekTarget(14, null)).toBe(14);
    expect(seekTarget(14, [])).toBe(14);
  });
  it("parks a follower at its next media instead of inside a gap (before its first frame too)", () => {
    expect(seekTarget(14.02, media)).toBe(16.2);
    expect(seekTarget(0, media)).toBe(0.25);
  });
  it("shows the last frame past the track's end", () => {
    expect(seekTarget(24.9, media)).toBeCloseTo(23.95, 5);
  });
});
