// Watch: one recording — its details, the player, bookmarks, download (only for roles that
// may), and the admin's edit panel. Opening it counts as a view (impression), audited by the
// server.
import { useEffect, useState } from "preact/hooks";
import { describeFailure, type ApiClient } from "./api/client";
import type { Bookmark, Me, Recording } from "./api/types";
import { EditPanel } from "./edit";
import { codecSupport } from "./media";
import { Player } from "./player";
import { FailureBanner } from "./states";
import { formatTime } from "./timeline";

export type Source = { kind: "recording"; id: string } | { kind: "shared"; token: string };

export function Watch({ api, me, source, onSignIn }: { api: ApiClient; me: Me | null; source: Source; onSignIn: () => void }) {
  const [rec, setRec] = useState<Recording | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [bookmarks, setBookmarks] = useState<Bookmark[]>([]);
  const [attempt, setAttempt] = useState(0);
  const [download, setDownload] = useState<string | null>(null);
  const codecs = codecSupport();

  useEffect(() => {
    let live = true;
    setError(null);
    const load = source.kind === "recording" ? api.recording(source.id) : api.shared(source.token);
    load
      .then((r) => {
        if (!live) return;
        setRec(r);
        if (r.agentrec.actions.bookmark) api.bookmarks(r.uuid).then((b) => live && setBookmarks(b.bookmarks)).catch(() => {});
      })
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [source.kind === "recording" ? source.id : source.token, attempt]);

  if (error !== null) {
    return (
      <main>
        <FailureBanner error={error} onRetry={() => setAttempt((a) => a + 1)} onSignIn={onSignIn} />
        <p>
          <a href="#/">← All recordings</a>
        </p>
      </main>
    );
  }
  if (!rec) return <main class="muted">Loading…</main>;

  const a = rec.agentrec;
  const doDownload = async () => {
    setDownload("Preparing the download…");
    try {
      const blob = await api.download(a.download_url);
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = `recording-${rec.uuid}.mp4`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      setDownload(null);
    } catch (err) {
      const d = describeFailure(err);
      setDownload(d.kind === "processing" ? "Still processing: the file is available once the recording is finalized." : `${d.title}: ${d.detail}`);
    }
  };
  return (
    <main class="watch">
      <header class="watch-head">
        <div>
          {source.kind === "recording" && <a href="#/">← All recordings</a>}
          <h1 id="recording-title">{rec.title ?? "(untitled)"}</h1>
          <p class="muted">
            {rec.user?.name} · {rec.metadata.recording_type}
            {a.queue ? ` · ${a.queue}` : ""}
            {rec.customer.email ? ` · ${rec.customer.email}` : ""} · {new Date(rec.metadata.created_at).toLocaleString()} ·{" "}
            {a.duration_ms !== null ? formatTime(a.duration_ms) : "—"} · <span id="impressions">{rec.metadata.impressions_count} views</span>
          </p>
          {rec.summary && <p>{rec.summary}</p>}
        </div>
        <div class="head-actions">
          {a.actions.download && (
            <button type="button" id="download" onClick={doDownload} disabled={a.state !== "finalized"} title={a.state !== "finalized" ? "Still processing" : "Download MP4 (primary monitor + call audio)"}>
              ⬇ Download
            </button>
          )}
        </div>
      </header>
      {a.state !== "finalized" && (
        <p class="banner" role="status" id="processing">
          Still processing: this recording is still being uploaded. What has arrived plays now; the rest appears as it comes.
        </p>
      )}
      {a.outcome === "partial" && <p class="banner">Partial recording: some media is missing ({a.end_reason ?? "see audit"}).</p>}
      {(!codecs.av1 || !codecs.opus) && (
        <p class="banner error" role="alert" id="codec-warning">
          This browser cannot decode {!codecs.av1 ? "AV1 video" : ""}
          {!codecs.av1 && !codecs.opus ? " and " : ""}
          {!codecs.opus ? "Opus audio" : ""}. Use a current Chrome, Edge or Firefox (see the README's AV1 playback notes).
        </p>
      )}
      {download && (
        <p class="banner" role="status" id="download-message">
          {download}
        </p>
      )}
      <Player
        api={api}
        recording={rec}
        bookmarks={bookmarks}
        canBookmark={a.actions.bookmark}
        onAddBookmark={async (ms, body) => {
          const b = await api.addBookmark(rec.uuid, Math.min(ms, a.duration_ms ?? ms), body);
          setBookmarks((list) => [...list, b].sort((x, y) => x.offset_ms - y.offset_ms));
        }}
        onDeleteBookmark={async (b) => {
          await api.deleteBookmark(rec.uuid, b.id);
          setBookmarks((list) => list.filter((x) => x.id !== b.id));
        }}
        canDelete={(b) => !!me && (me.role === "admin" || b.author_email === me.email)}
      />
      {me && a.actions.edit && <EditPanel api={api} me={me} rec={rec} onChanged={setRec} />}
    </main>
  );
}
