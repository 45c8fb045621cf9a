import { describe, expect, it } from "vitest";
import { parseMediaPlaylist } from "./playlist";

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
