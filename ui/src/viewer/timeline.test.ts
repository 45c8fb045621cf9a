import { describe, expect, it } from "vitest";
import {
  bookmarkMarkers,
  formatTime,
  fraction,
  gapAt,
  gaps,
  holds,
  markers,
  nextMarker,
  prevMarker,
  skipGaps,
  timeAt,
} from "./timeline";
import type { TimelineEvent } from "./api/types";

const call: TimelineEvent[] = [
  { offset_ms: -1200, event: "answered" },
  { offset_ms: 0, event: "recording_started" },
  { offset_ms: 5000, event: "held" },
  { offset_ms: 9000, event: "unheld" },
  { offset_ms: 12000, event: "paused" },
  { offset_ms: 18000, event: "resumed" },
  { offset_ms: 21000, event: "transferred", to_agent: "bob" },
  { offset_ms: 22000, event: "call_ended" },
  { offset_ms: 22000, event: "wrap_up_started" },
  { offset_ms: 26000, event: "wrap_up_completed" },
  { offset_ms: 26000, event: "recording_ended", reason: "wrap_up_completed" },
];

describe("markers", () => {
  it("lists the call's events in order, clamped into the recording, without bookkeeping", () => {
    const m = markers(call, 26000);
    expect(m.map((x) => x.kind)).toEqual([
      "answered",
      "hold",
      "unhold",
      "pause",
      "resume",
      "transfer",
      "end",
      "wrap_up",
      "end",
      "end",
    ]);
    expect(m[0].offsetMs).toBe(0); // answered before recording started: shown at the start
    expect(m[5].label).toBe("Transferred to bob");
  });
  it("ignores events it does not know", () => {
    expect(markers([{ offset_ms: 5, event: "future_thing" }], 10)).toEqual([]);
  });
});

describe("gaps and holds", () => {
  it("pairs pause with resume and stop with restart", () => {
    const g = gaps(
      [...call, { offset_ms: 23000, event: "stopped" }, { offset_ms: 24000, event: "restarted" }],
      26000,
    );
    expect(g).toEqual([
      { startMs: 12000, endMs: 18000, kind: "pause" },
      { startMs: 23000, endMs: 24000, kind: "stop" },
    ]);
  });
  it("runs an unmatched pause to the end, and ignores a resume without a pause", () => {
    expect(gaps([{ offset_ms: 3000, event: "resumed" }, { offset_ms: 4000, event: "paused" }], 10000)).toEqual([
      { startMs: 4000, endMs: 10000, kind: "pause" },
    ]);
  });
  it("ends a hold at unhold, call end or transfer", () => {
    expect(holds(call, 26000)).toEqual([{ startMs: 5000, endMs: 9000 }]);
    expect(holds([{ offset_ms: 1000, event: "held" }, { offset_ms: 3000, event: "call_ended" }], 5000)).toEqual([
      { startMs: 1000, endMs: 3000 },
    ]);
  });
  it("finds and skips the gap a time falls in", () => {
    const g = gaps(call, 26000);
    expect(gapAt(11999, g)).toBeNull();
    expect(gapAt(12000, g)).toEqual(g[0]);
    expect(gapAt(18000, g)).toBeNull();
    expect(skipGaps(15000, g)).toBe(18000);
    expect(skipGaps(3000, g)).toBe(3000);
    // Back-to-back gaps are all skipped.
    expect(skipGaps(1000, [{ startMs: 0, endMs: 2000 }, { startMs: 2000, endMs: 5000 }])).toBe(5000);
  });
});

describe("positions and text", () => {
  it("maps times to the bar and back", () => {
    expect(fraction(13000, 26000)).toBe(0.5);
    expect(fraction(-5, 100)).toBe(0);
    expect(fraction(500, 100)).toBe(1);
    expect(fraction(5, 0)).toBe(0);
    expect(timeAt(0.25, 26000)).toBe(6500);
    expect(timeAt(1.7, 26000)).toBe(26000);
  });
  it("formats times like a player", () => {
    expect(formatTime(0)).toBe("0:00");
    expect(formatTime(9999)).toBe("0:09");
    expect(formatTime(61000)).toBe("1:01");
    expect(formatTime(3_723_000)).toBe("1:02:03");
    expect(formatTime(-5)).toBe("0:00");
  });
  it("jumps between markers", () => {
    const m = markers(call, 26000);
    expect(nextMarker(0, m)).toBe(5000);
    expect(nextMarker(5000, m)).toBe(9000);
    expect(nextMarker(26000, m)).toBeNull();
    expect(prevMarker(9500, m)).toBe(5000);
    expect(prevMarker(10000, m)).toBe(5000);
    expect(prevMarker(1000, m)).toBeNull();
  });
  it("orders bookmarks on the bar", () => {
    const b = bookmarkMarkers(
      [
        { id: "2", offset_ms: 9000, body: "b", author_email: "s@x", author_name: "Sam", created_at: "" },
        { id: "1", offset_ms: 40000, body: "a", author_email: "s@x", author_name: "Sam", created_at: "" },
      ],
      26000,
    );
    expect(b.map((x) => [x.id, x.offsetMs])).toEqual([
      ["2", 9000],
      ["1", 26000],
    ]);
    expect(b[0].label).toBe("Sam: b");
  });
});
