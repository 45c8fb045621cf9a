// The player: every monitor of a recording, laid out as on the agent's desktop (or one
// enlarged), in sync with the call audio; speed, ±10 s, skip-silence, markers of the call's
// events and bookmarks on the timeline, keyboard shortcuts.
//
// One clock: the call audio element is the master; each monitor's video follows it through
// `sync.decide` (rate nudges for small drift, seeks for large). Pause gaps are jumped over
// by the master (the followers follow); tracks without media at the master's time wait.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { ApiClient } from "./api/client";
import type { Bookmark, Recording, TrackView } from "./api/types";
import { desktopArrangement } from "./layout";
import { attach, findSilence, type Attached } from "./media";
import { SHORTCUTS, commandFor, keyName, type Command } from "./shortcuts";
import { skipTarget } from "./silence";
import { SPEEDS, covered, decide, seekTarget, stepSpeed } from "./sync";
import {
  bookmarkMarkers,
  formatTime,
  fraction,
  gaps,
  holds,
  markers,
  nextMarker,
  prevMarker,
  skipGaps,
  timeAt,
  type Span,
} from "./timeline";

const TICK_MS = 50;
/** The longest the master waits for the monitors to catch up, per episode. */
const HOLD_MAX_MS = 3000;
/** Followers stop this long (s) before the end of their media. */
const END_MARGIN_S = 0.15;
/** A follower this far off (s) also holds the master: well above the nudges' few ms. */
const HOLD_DRIFT_S = 0.08;
/** A playing master whose time has not moved for this long is stalled. */
const STALL_MS = 150;

function videoTracks(rec: Recording): (TrackView & { info: Extract<TrackView["info"], { kind: "video" }> })[] {
  return rec.agentrec.tracks.filter(
    (t): t is TrackView & { info: Extract<TrackView["info"], { kind: "video" }> } => t.info.kind === "video",
  );
}

function ranges(tr: TimeRanges): { start: number; end: number }[] {
  const out = [];
  for (let i = 0; i < tr.length; i++) out.push({ start: tr.start(i), end: tr.end(i) });
  return out;
}

export interface PlayerProps {
  api: ApiClient;
  recording: Recording;
  bookmarks: Bookmark[];
  canBookmark: boolean;
  onAddBookmark: (offsetMs: number, body: string) => Promise<void>;
  onDeleteBookmark?: (b: Bookmark) => Promise<void>;
  canDelete: (b: Bookmark) => boolean;
}

export function Player({ api, recording, bookmarks, canBookmark, onAddBookmark, onDeleteBookmark, canDelete }: PlayerProps) {
  const videos = useMemo(() => videoTracks(recording), [recording]);
  const audioTrack = recording.agentrec.tracks.find((t) => t.info.kind === "audio") ?? null;
  const durationMs = recording.agentrec.duration_ms ?? (recording.metadata.duration ?? 0) * 1000;
  const events = recording.agentrec.timeline;
  const eventMarkers = useMemo(() => markers(events, durationMs), [events, durationMs]);
  const pauseGaps = useMemo(() => gaps(events, durationMs), [events, durationMs]);
  const holdSpans = useMemo(() => holds(events, durationMs), [events, durationMs]);
  const marks = useMemo(() => bookmarkMarkers(bookmarks, durationMs), [bookmarks, durationMs]);
  const arrangement = useMemo(() => desktopArrangement(videos.map((v) => v.info.desktop)), [videos]);

  const audioRef = useRef<HTMLAudioElement>(null);
  const videoRefs = useRef<(HTMLVideoElement | null)[]>([]);
  const [now, setNow] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [rate, setRate] = useState(1);
  const [muted, setMuted] = useState(false);
  const [focus, setFocus] = useState<number | null>(null);
  const [skipSilence, setSkipSilence] = useState(false);
  const [silence, setSilence] = useState<Span[] | null>(null);
  const [silenceState, setSilenceState] = useState<"idle" | "finding" | "ready" | "failed">("idle");
  const [noMedia, setNoMedia] = useState<boolean[]>([]);
  const [mediaError, setMediaError] = useState<string | null>(null);
  const [showHelp, setShowHelp] = useState(false);
  const [note, setNote] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const noteRef = useRef<HTMLInputElement>(null);
  const skipRef = useRef({ skipSilence, silence, pauseGaps });
  skipRef.current = { skipSilence, silence, pauseGaps };

  /** The master clock: the call audio, or the first monitor when there is no audio. */
  const master = (): HTMLMediaElement | null => audioRef.current ?? videoRefs.current[0] ?? null;
  const followers = (): HTMLVideoElement[] =>
    videoRefs.current.filter((v): v is HTMLVideoElement => !!v && v !== master());

  // Attach every track.
  const videoMedia = useRef<(Attached | null)[]>([]);
  useEffect(() => {
    const attached: Attached[] = [];
    const fail = (m: string) => setMediaError(m);
    const auth = api.authHeader();
    if (audioTrack && audioRef.current) attached.push(attach(audioRef.current, audioTrack.playlist_url, auth, fail));
    videoMedia.current = videos.map((v, i) => {
      const el = videoRefs.current[i];
      if (!el) return null;
      const a = attach(el, v.playlist_url, auth, fail);
      attached.push(a);
      return a;
    });
    return () => attached.forEach((a) => a.destroy());
  }, [recording.uuid]);
  /**
   * Whether monitor `i` should play at master time `t`: it has media there and for a moment
   * after. A follower is stopped just before the end of a stretch of media, so it never runs
   * into the hole itself (hls.js would step it over the hole, far from the master).
   */
  const playsAt = (i: number, t: number) => {
    const media = videoMedia.current[i]?.mediaRanges() ?? null;
    if (!media) return true;
    const ahead = t + END_MARGIN_S;
    return seekTarget(t, media) === t && seekTarget(ahead, media) === ahead;
  };
  /** Seeks follower `v` (monitor `i`) for master time `t`, never into a stretch without media. */
  const seekFollower = (v: HTMLVideoElement, i: number, t: number) => {
    const target = seekTarget(t, videoMedia.current[i]?.mediaRanges() ?? null);
    if (Math.abs(v.currentTime - target) > 0.01) v.currentTime = target;
  };

  // While a follower that has media at the master's time is still loading or seeking there
  // (after play, a seek, a jump over a gap or silence), the master waits for it, at most
  // HOLD_MAX_MS per episode: every monitor starts together instead of catching up late.
  const hold = useRef<{ since: number } | "gave-up" | null>(null);
  const lastMaster = useRef({ time: -1, at: 0 });

  // The sync loop.
  useEffect(() => {
    const step = () => {
      const m = master();
      if (!m) return;
      const lagging = videoRefs.current.some((v, i) => {
        if (!v || v === m) return false;
        if (!playsAt(i, m.currentTime)) return false; // none here
        return v.seeking || v.readyState < 3 || (v.paused && !m.paused) || Math.abs(v.currentTime - m.currentTime) > HOLD_DRIFT_S;
      });
      const h = hold.current;
      if (h === null && lagging && !m.paused && !m.seeking) {
        hold.current = { since: performance.now() };
        m.pause();
      } else if (h !== null && h !== "gave-up") {
        if (!lagging || performance.now() - h.since > HOLD_MAX_MS) {
          hold.current = lagging ? "gave-up" : null;
          m.play().catch(() => {});
        }
      } else if (h === "gave-up" && !lagging) {
        hold.current = null;
      }
      const { skipSilence: skipOn, silence: silent, pauseGaps: gapList } = skipRef.current;
      const ms = m.currentTime * 1000;
      // Jump over pause gaps (nothing was captured there; a seek into one never lands, hls.js
      // loads no GAP segment) and, when asked, over silence.
      const past = skipGaps(ms, gapList);
      let target = past > ms + 1 ? past : null;
      if (target === null && skipOn && silent && !m.paused && !m.seeking) target = skipTarget(ms, silent);
      if (target !== null && target < durationMs) m.currentTime = target / 1000;
      // A master that plays but does not advance (waiting for data, at the edge of a hole)
      // counts as seeking: the followers wait for it instead of running ahead.
      const now = performance.now();
      const last = lastMaster.current;
      if (m.currentTime !== last.time || m.paused) lastMaster.current = { time: m.currentTime, at: now };
      const stalled = !m.paused && m.currentTime === last.time && now - last.at > STALL_MS;
      const masterState = {
        time: m.currentTime,
        rate: m.playbackRate,
        paused: m.paused,
        seeking: m.seeking || m.readyState < 3 || stalled,
      };
      const missing: boolean[] = [];
      videoRefs.current.forEach((v, i) => {
        if (!v || v === m) {
          missing[i] = false;
          return;
        }
        const hasMediaAt = playsAt(i, m.currentTime) && covered(m.currentTime, ranges(v.buffered)) && v.readyState >= 2;
        // A track that never has media here (started late, gap) shows as such; one still
        // loading just waits.
        const track = videos[i];
        missing[i] = m.currentTime * 1000 < track.info.start_ms;
        const a = decide(masterState, { time: v.currentTime, rate: v.playbackRate, paused: v.paused, seeking: v.seeking, hasMediaAt });
        if (a.rate !== undefined) v.playbackRate = a.rate;
        if (a.seekTo !== undefined) seekFollower(v, i, a.seekTo);
        if (a.pause) v.pause();
        // play() on an ended element starts it over from 0: an ended follower stays on its last frame.
        if (a.play && !v.ended) v.play().catch(() => {});
      });
      setNoMedia((prev) => (prev.length === missing.length && prev.every((x, i) => x === missing[i]) ? prev : missing));
      setNow(m.currentTime * 1000);
      setPlaying(!m.paused || (hold.current !== null && hold.current !== "gave-up"));
    };
    const timer = window.setInterval(step, TICK_MS);
    // Whatever moves the master (a click, hls.js stepping over a hole in the audio, a jump
    // over a gap or silence), the monitors follow at once rather than at the next tick.
    const m = master();
    m?.addEventListener("seeking", step);
    return () => {
      window.clearInterval(timer);
      m?.removeEventListener("seeking", step);
    };
  }, [recording.uuid, videos]);

  // Skip-silence: decode the call audio once, when first asked for.
  useEffect(() => {
    if (!skipSilence || silence || !audioTrack) return;
    const abort = new AbortController();
    setSilenceState("finding");
    findSilence(audioTrack.playlist_url, api.authHeader(), abort.signal)
      .then((r) => {
        setSilence(r);
        setSilenceState("ready");
      })
      .catch(() => {
        if (!abort.signal.aborted) setSilenceState("failed");
      });
    return () => abort.abort();
  }, [skipSilence]);

  const seek = (ms: number) => {
    const m = master();
    if (!m) return;
    const wanted = Math.min(Math.max(0, ms), durationMs);
    const past = skipGaps(wanted, pauseGaps);
    const t = past < durationMs ? past : wanted;
    m.currentTime = t / 1000;
    videoRefs.current.forEach((v, i) => {
      if (v && v !== m) seekFollower(v, i, t / 1000);
    });
    setNow(t);
  };
  /** The master's time now (ms): the rendered `now` can be a tick old. */
  const position = () => (master()?.currentTime ?? now / 1000) * 1000;
  const toggle = () => {
    const m = master();
    if (!m) return;
    const holding = hold.current !== null && hold.current !== "gave-up";
    hold.current = null;
    if (holding) return; // paused by the hold: the user's pause keeps it so
    if (m.paused) m.play().catch((e) => setNotice(`Cannot play: ${String(e)}`));
    else m.pause();
  };
  const setSpeed = (r: number) => {
    const m = master();
    if (m) m.playbackRate = r;
    for (const v of followers()) v.playbackRate = r;
    setRate(r);
  };
  const allMarks = useMemo(
    () => [...eventMarkers.map((e) => ({ offsetMs: e.offsetMs })), ...marks.map((b) => ({ offsetMs: b.offsetMs }))],
    [eventMarkers, marks],
  );
  const run = (c: Command) => {
    switch (c) {
      case "toggle":
        return toggle();
      case "back":
        return seek(position() - 10_000);
      case "forward":
        return seek(position() + 10_000);
      case "slower":
        return setSpeed(stepSpeed(rate, -1));
      case "faster":
        return setSpeed(stepSpeed(rate, 1));
      case "prevMarker": {
        const t = prevMarker(now, allMarks);
        return seek(t ?? 0);
      }
      case "nextMarker": {
        const t = nextMarker(now, allMarks);
        if (t !== null) seek(t);
        return;
      }
      case "skipSilence":
        return setSkipSilence((s) => !s);
      case "bookmark":
        return noteRef.current?.focus();
      case "mute": {
        const a = audioRef.current;
        if (a) a.muted = !a.muted;
        return setMuted((x) => !x);
      }
      case "layoutAll":
        return setFocus(null);
      case "focus1":
      case "focus2":
      case "focus3":
      case "focus4": {
        const n = Number(c.slice(5)) - 1;
        if (n < videos.length) setFocus(n);
        return;
      }
      case "help":
        return setShowHelp((x) => !x);
    }
  };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const c = commandFor(e);
      if (!c) return;
      e.preventDefault();
      run(c);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  const addBookmark = async (e: Event) => {
    e.preventDefault();
    const body = note.trim();
    if (!body) return;
    try {
      await onAddBookmark(now, body);
      setNote("");
      setNotice(`Bookmark added at ${formatTime(now)}`);
    } catch (err) {
      setNotice(`Bookmark not saved: ${String((err as Error).message ?? err)}`);
    }
  };

  const barClick = (e: MouseEvent) => {
    const el = e.currentTarget as HTMLElement;
    const r = el.getBoundingClientRect();
    seek(timeAt((e.clientX - r.left) / r.width, durationMs));
  };
  const barKey = (e: KeyboardEvent) => {
    if (e.key === "Home") seek(0);
    else if (e.key === "End") seek(durationMs);
    else return;
    e.preventDefault();
  };

  const stageStyle =
    focus === null
      ? { aspectRatio: String(arrangement.aspect) }
      : { aspectRatio: String(videos[focus].info.desktop.width / videos[focus].info.desktop.height) };

  return (
    <section class="player" aria-label="Player">
      {mediaError && (
        <p class="banner error" role="alert" id="media-error">
          Playback failed: {mediaError}
        </p>
      )}
      <div class={`stage ${focus === null ? "all" : "focused"}`} style={stageStyle} id="stage">
        {videos.map((v, i) => {
          const box = arrangement.boxes[i];
          const style =
            focus === null
              ? { left: `${box.left}%`, top: `${box.top}%`, width: `${box.width}%`, height: `${box.height}%` }
              : i === focus
                ? { left: "0", top: "0", width: "100%", height: "100%" }
                : { display: "none" };
          return (
            <figure class="monitor" style={style} key={v.track}>
              <video
                class="monitor-video"
                data-track={v.track}
                ref={(el) => {
                  videoRefs.current[i] = el;
                }}
                muted
                playsInline
                preload="auto"
                onClick={() => setFocus(focus === i ? null : i)}
                aria-label={`Monitor ${i + 1} (${v.info.monitor})`}
              />
              <figcaption>
                {i + 1}: {v.info.monitor}
                {v.info.primary ? " (primary)" : ""} · {v.info.desktop.width}×{v.info.desktop.height}
              </figcaption>
              {noMedia[i] && <div class="no-media">No video here (monitor not recorded yet)</div>}
            </figure>
          );
        })}
        {videos.length === 0 && <p class="muted">This recording has no screen tracks.</p>}
      </div>
      {audioTrack && <audio id="call-audio" ref={audioRef} preload="auto" />}

      <div class="timeline" aria-label="Timeline">
        <div
          class="bar"
          id="timeline-bar"
          role="slider"
          tabIndex={0}
          aria-label="Position"
          aria-valuemin={0}
          aria-valuemax={Math.round(durationMs / 1000)}
          aria-valuenow={Math.round(now / 1000)}
          aria-valuetext={`${formatTime(now)} of ${formatTime(durationMs)}`}
          onClick={barClick}
          onKeyDown={barKey}
        >
          {holdSpans.map((s) => (
            <span
              class="span hold"
              title={`On hold ${formatTime(s.startMs)}–${formatTime(s.endMs)}`}
              style={{ left: `${fraction(s.startMs, durationMs) * 100}%`, width: `${(fraction(s.endMs, durationMs) - fraction(s.startMs, durationMs)) * 100}%` }}
            />
          ))}
          {pauseGaps.map((g) => (
            <span
              class="span gap"
              title={`${g.kind === "pause" ? "Paused (PCI)" : "Stopped"} ${formatTime(g.startMs)}–${formatTime(g.endMs)}: not recorded`}
              style={{ left: `${fraction(g.startMs, durationMs) * 100}%`, width: `${(fraction(g.endMs, durationMs) - fraction(g.startMs, durationMs)) * 100}%` }}
            />
          ))}
          {skipSilence &&
            silence?.map((s) => (
              <span
                class="span silence"
                style={{ left: `${fraction(s.startMs, durationMs) * 100}%`, width: `${(fraction(s.endMs, durationMs) - fraction(s.startMs, durationMs)) * 100}%` }}
              />
            ))}
          <span class="played" style={{ width: `${fraction(now, durationMs) * 100}%` }} />
        </div>
        <div class="marks">
          {eventMarkers.map((m) => (
            <button
              type="button"
              class={`mark event ${m.kind}`}
              data-kind={m.kind}
              data-offset-ms={m.offsetMs}
              style={{ left: `${fraction(m.offsetMs, durationMs) * 100}%` }}
              title={`${m.label} at ${formatTime(m.offsetMs)}`}
              aria-label={`${m.label} at ${formatTime(m.offsetMs)}`}
              onClick={() => seek(m.offsetMs)}
            />
          ))}
          {marks.map((b) => (
            <button
              type="button"
              class="mark bookmark"
              data-offset-ms={b.offsetMs}
              style={{ left: `${fraction(b.offsetMs, durationMs) * 100}%` }}
              title={`${b.label} (${formatTime(b.offsetMs)})`}
              aria-label={`Bookmark at ${formatTime(b.offsetMs)}: ${b.label}`}
              onClick={() => seek(b.offsetMs)}
            />
          ))}
        </div>
      </div>

      <div class="controls" role="toolbar" aria-label="Playback controls">
        <button type="button" id="play" onClick={toggle} aria-label={playing ? "Pause" : "Play"}>
          {playing ? "❚❚ Pause" : "▶ Play"}
        </button>
        <button type="button" onClick={() => run("back")} aria-label="Back 10 seconds">
          ⟲ 10 s
        </button>
        <button type="button" onClick={() => run("forward")} aria-label="Forward 10 seconds">
          10 s ⟳
        </button>
        <span class="clock" id="clock" aria-live="off">
          {formatTime(now)} / {formatTime(durationMs)}
        </span>
        <label class="inline">
          Speed
          <select id="speed" value={String(rate)} onChange={(e) => setSpeed(Number(e.currentTarget.value))}>
            {SPEEDS.map((s) => (
              <option value={String(s)}>{s}×</option>
            ))}
          </select>
        </label>
        <label class="inline">
          <input type="checkbox" id="skip-silence" checked={skipSilence} onChange={(e) => setSkipSilence(e.currentTarget.checked)} />
          Skip silence
          {skipSilence && silenceState === "finding" && <span class="muted"> (finding silence…)</span>}
          {skipSilence && silenceState === "failed" && <span class="muted"> (unavailable)</span>}
        </label>
        <button type="button" onClick={() => run("mute")} aria-pressed={muted}>
          {muted ? "Unmute" : "Mute"}
        </button>
        <label class="inline">
          Layout
          <select
            id="layout"
            value={focus === null ? "all" : String(focus)}
            onChange={(e) => setFocus(e.currentTarget.value === "all" ? null : Number(e.currentTarget.value))}
          >
            <option value="all">All monitors (desktop arrangement)</option>
            {videos.map((v, i) => (
              <option value={String(i)}>
                Monitor {i + 1} enlarged ({v.info.monitor})
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => setShowHelp((x) => !x)} aria-expanded={showHelp} aria-controls="shortcuts">
          Shortcuts (?)
        </button>
      </div>
      {notice && (
        <p class="banner" role="status" id="player-notice">
          {notice}
        </p>
      )}
      {showHelp && (
        <table class="shortcuts" id="shortcuts">
          <caption>Keyboard shortcuts</caption>
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr>
                <th>{s.keys.map(keyName).join(" / ")}</th>
                <td>{s.text}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <section class="bookmarks" aria-label="Bookmarks and comments">
        <h2>Bookmarks</h2>
        {canBookmark && (
          <form class="bookmark-form" onSubmit={addBookmark}>
            <input
              id="bookmark-text"
              ref={noteRef}
              maxLength={2000}
              placeholder={`Comment at ${formatTime(now)}…`}
              value={note}
              onInput={(e) => setNote(e.currentTarget.value)}
              aria-label="Bookmark comment"
            />
            <button type="submit" id="bookmark-add" disabled={!note.trim()}>
              Add at {formatTime(now)}
            </button>
          </form>
        )}
        <ul id="bookmark-list">
          {bookmarks.map((b) => (
            <li data-bookmark={b.id}>
              <button type="button" class="link" onClick={() => seek(b.offset_ms)}>
                {formatTime(b.offset_ms)}
              </button>{" "}
              <strong>{b.author_name}</strong>: {b.body}
              {onDeleteBookmark && canDelete(b) && (
                <button type="button" class="link danger" onClick={() => onDeleteBookmark(b)} aria-label={`Delete bookmark at ${formatTime(b.offset_ms)}`}>
                  delete
                </button>
              )}
            </li>
          ))}
          {bookmarks.length === 0 && <li class="muted">No bookmarks yet.</li>}
        </ul>
      </section>
    </section>
  );
}
