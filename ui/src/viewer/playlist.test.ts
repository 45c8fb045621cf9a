import { describe, expect, it } from "vitest";
import { firstMediaStart, mediaRanges, parseMediaPlaylist } from "./playlist";

describe("parseMediaPlaylist", () => {
  it("places segments and gaps on the timeline", () => {
    const p = parseMediaPlaylist(
      [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        "#EXT-X-TARGETDURATION:10",
        '#EXT-X-MAP:URI="init.mp4"',
        "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00Z",
        "#EXTINF:10.000,",
        "segments/1.m4s",
        "#EXTINF:4.500,",
        "#EXT-X-GAP",
        "gap.m4s",
        "#EXTINF:3.250,",
        "segments/2.m4s",
        "#EXT-X-ENDLIST",
      ].join("\n"),
    );
    expect(p.init).toBe("init.mp4");
    expect(p.ended).toBe(true);
    expect(p.segments).toEqual([
      { uri: "segments/1.m4s", startMs: 0, durationMs: 10000, gap: false },
      { uri: "gap.m4s", startMs: 10000, durationMs: 4500, gap: true },
      { uri: "segments/2.m4s", startMs: 14500, durationMs: 3250, gap: false },
    ]);
  });
  it("reads an open (EVENT) playlist", () => {
    expect(parseMediaPlaylist("#EXTM3U\n#EXTINF:2,\nsegments/1.m4s\n").ended).toBe(false);
  });
});

describe("firstMediaStart", () => {
  it("starts loading after a leading GAP (late first audio buffer), else at 0", () => {
    expect(firstMediaStart([{ start: 0, gap: true }, { start: 1.712 }, { start: 6.012, gap: true }])).toBe(1.712);
    expect(firstMediaStart([{ start: 0 }, { start: 6, gap: true }])).toBe(0);
    expect(firstMediaStart([{ start: 0, gap: true }])).toBe(0);
    expect(firstMediaStart([])).toBe(0);
  });
});

describe("mediaRanges", () => {
  it("merges adjacent segments and leaves GAP segments out", () => {
    const r = mediaRanges([
      { start: 0, duration: 0.254, gap: true },
      { start: 0.254, duration: 6.448 },
      { start: 6.702, duration: 2.317 },
      { start: 9.019, duration: 7.188, gap: true },
      { start: 16.207, duration: 7.815 },
    ]);
    expect(r.map((x) => [x.start, Number(x.end.toFixed(3))])).toEqual([
      [0.254, 9.019],
      [16.207, 24.022],
    ]);
    expect(mediaRanges([])).toEqual([]);
  });
});
