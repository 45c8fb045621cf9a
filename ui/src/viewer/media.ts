// Media plumbing of the player: one hls.js instance per element (each track is its own media
// playlist with fMP4 AV1 or Opus segments), with the user's token on every request; and the
// call audio decoded segment by segment for skip-silence.
// The light build: no DRM, subtitles or alternate renditions, which a recording has none of.
import Hls from "hls.js/light";
import { firstMediaStart, mediaRanges, parseMediaPlaylist } from "./playlist";
import { mergeRanges, silentRanges } from "./silence";
import type { Span } from "./timeline";

export interface Attached {
  destroy(): void;
  /** Where the track has media (its non-GAP segments), once the playlist is loaded. */
  mediaRanges(): { start: number; end: number }[] | null;
}

/** Plays `playlistUrl` in `el` through MSE (hls.js); native HLS only as a fallback. */
export function attach(
  el: HTMLMediaElement,
  playlistUrl: string,
  auth: Record<string, string>,
  onFatal: (message: string) => void,
): Attached {
  if (Hls.isSupported()) {
    const hls = new Hls({
      xhrSetup: (xhr) => {
        for (const [k, v] of Object.entries(auth)) xhr.setRequestHeader(k, v);
      },
      // The viewer drives time itself (sync, gaps): no live-edge chasing, modest buffers.
      maxBufferLength: 30,
      backBufferLength: 30,
      enableWorker: true,
      lowLatencyMode: false,
      // Loading starts once the playlist is known (below), not at 0 blindly.
      autoStartLoad: false,
    });
    // A track often begins with a GAP segment (the first audio buffer or screen frame came
    // a moment after the recording's start). hls.js 1.x never leaves a GAP segment it starts
    // in: it skips loading it, its buffer end stays at 0 and it picks the same segment again,
    // so nothing at all is buffered. Start loading at the first real segment; the player's
    // clock treats the leading gap like any other stretch without media.
    let media: { start: number; end: number }[] | null = null;
    hls.once(Hls.Events.LEVEL_LOADED, (_e, data) => {
      media = mediaRanges(data.details.fragments);
      hls.startLoad(firstMediaStart(data.details.fragments));
    });
    hls.on(Hls.Events.ERROR, (_e, data) => {
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
      } else {
        onFatal(`${data.type}: ${data.details}`);
      }
    });
    hls.loadSource(playlistUrl);
    hls.attachMedia(el);
    return { destroy: () => hls.destroy(), mediaRanges: () => media };
  }
  // Native HLS (Safari without MSE) cannot send the token: only share links work there.
  el.src = playlistUrl;
  return { destroy: () => el.removeAttribute("src"), mediaRanges: () => null };
}

/** Which codecs this engine can decode, for the "cannot play AV1 here" notice. */
export function codecSupport(): { av1: boolean; opus: boolean } {
  const ms = typeof MediaSource !== "undefined" ? MediaSource : null;
  return {
    av1: !!ms && ms.isTypeSupported('video/mp4; codecs="av01.0.08M.08"'),
    opus: !!ms && ms.isTypeSupported('audio/mp4; codecs="opus"'),
  };
}

/**
 * The silent stretches of the call audio: each media segment is decoded on its own (init +
 * segment is a complete fMP4 file) and placed at its playlist time, so pauses stay put.
 */
export async function findSilence(
  playlistUrl: string,
  auth: Record<string, string>,
  signal: AbortSignal,
): Promise<Span[]> {
  const get = async (url: string) => {
    const r = await fetch(url, { headers: auth, signal });
    if (!r.ok) throw new Error(`${r.status} ${url}`);
    return r;
  };
  const playlist = parseMediaPlaylist(await (await get(playlistUrl)).text());
  if (!playlist.init) return [];
  const base = new URL(playlistUrl, window.location.href);
  const init = new Uint8Array(await (await get(new URL(playlist.init, base).href)).arrayBuffer());
  const ctx = new OfflineAudioContext(1, 1, 48000);
  const ranges: Span[] = [];
  for (const seg of playlist.segments) {
    if (seg.gap) continue;
    if (signal.aborted) break;
    const media = new Uint8Array(await (await get(new URL(seg.uri, base).href)).arrayBuffer());
    const file = new Uint8Array(init.length + media.length);
    file.set(init, 0);
    file.set(media, init.length);
    try {
      const audio = await ctx.decodeAudioData(file.buffer);
      const channels = Array.from({ length: audio.numberOfChannels }, (_, i) => audio.getChannelData(i));
      ranges.push(...silentRanges(channels, audio.sampleRate, seg.startMs));
    } catch {
      // A segment the engine cannot decode on its own: leave it unskipped.
    }
  }
  return mergeRanges(ranges);
}
