// Reads an HLS media playlist's timeline, pure: where each media segment sits (gaps
// included), so that skip-silence can decode the audio segment by segment at the right times.
export interface PlaylistSegment {
  uri: string;
  startMs: number;
  durationMs: number;
  gap: boolean;
}

export interface MediaPlaylist {
  init: string | null;
  segments: PlaylistSegment[];
  ended: boolean;
}

export function parseMediaPlaylist(text: string): MediaPlaylist {
  const out: MediaPlaylist = { init: null, segments: [], ended: false };
  let at = 0;
  let duration: number | null = null;
  let gap = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith("#EXT-X-MAP:")) {
      const m = /URI="([^"]*)"/.exec(line);
      out.init = m ? m[1] : null;
    } else if (line.startsWith("#EXTINF:")) {
      duration = Math.round(parseFloat(line.slice(8)) * 1000);
    } else if (line === "#EXT-X-GAP") {
      gap = true;
    } else if (line === "#EXT-X-ENDLIST") {
      out.ended = true;
    } else if (!line.startsWith("#") && duration !== null) {
      out.segments.push({ uri: line, startMs: at, durationMs: duration, gap });
      at += duration;
      duration = null;
      gap = false;
    }
  }
  return out;
}

/** Where the first segment that is not a GAP starts, in seconds (0 if none is). */
export function firstMediaStart(fragments: { start: number; gap?: boolean }[]): number {
  return fragments.find((f) => !f.gap)?.start ?? 0;
}

/** The stretches a track has media for (its non-GAP segments, adjacent ones merged), s. */
export function mediaRanges(fragments: { start: number; duration: number; gap?: boolean }[]): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const f of fragments) {
    if (f.gap) continue;
    const last = out[out.length - 1];
    if (last && f.start <= last.end + 0.001) last.end = Math.max(last.end, f.start + f.duration);
    else out.push({ start: f.start, end: f.start + f.duration });
  }
  return out;
}
