// Find: the recordings the user may see, filtered, sorted, paged, with poster thumbnails.
import { useEffect, useState } from "preact/hooks";
import type { ApiClient } from "./api/client";
import type { FilterOptions, Recording, RecordingList } from "./api/types";
import { EMPTY, SORT_LABELS, fromHashQuery, toApiQuery, toHashQuery, withFilter, type Filters, type SortOrder } from "./filters";
import { routeHash } from "./route";
import { FailureBanner } from "./states";
import { formatTime } from "./timeline";

function Poster({ api, rec }: { api: ApiClient; rec: Recording }) {
  const [src, setSrc] = useState<string | null>(null);
  const track =
    rec.agentrec.tracks.find((t) => t.info.kind === "video" && t.info.primary && t.poster_url) ??
    rec.agentrec.tracks.find((t) => t.poster_url);
  useEffect(() => {
    let url: string | null = null;
    let live = true;
    if (track?.poster_url) {
      api
        .blobUrl(track.poster_url)
        .then((u) => {
          url = u;
          if (live) setSrc(u);
        })
        .catch(() => {});
    }
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [track?.poster_url]);
  return src ? <img class="poster" src={src} alt="" /> : <div class="poster none" aria-hidden="true" />;
}

export function RecordingListView({ api, query, onQuery }: { api: ApiClient; query: string; onQuery: (q: string) => void }) {
  const filters = fromHashQuery(query);
  const [draft, setDraft] = useState<Filters>(filters);
  const [data, setData] = useState<RecordingList | null>(null);
  const [options, setOptions] = useState<FilterOptions>({ labels: [], folders: [], queues: [] });
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => setDraft(fromHashQuery(query)), [query]);
  useEffect(() => {
    let live = true;
    setLoading(true);
    api
      .list(toApiQuery(filters))
      .then((d) => {
        if (!live) return;
        setData(d);
        setError(null);
      })
      .catch((e) => live && setError(e))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [query, attempt]);
  useEffect(() => {
    api.filterOptions().then(setOptions).catch(() => {});
  }, []);

  const apply = (f: Filters) => onQuery(toHashQuery(f));
  const set = <K extends keyof Filters>(k: K, v: Filters[K]) => setDraft(withFilter(draft, k, v));
  const submit = (e: Event) => {
    e.preventDefault();
    apply({ ...draft, page: 1 });
  };
  const text = (k: "q" | "agent" | "customer", label: string, placeholder: string) => (
    <label>
      {label}
      <input id={`filter-${k}`} type="search" value={draft[k]} placeholder={placeholder} onInput={(e) => set(k, e.currentTarget.value)} />
    </label>
  );
  const choice = (k: "queue" | "label" | "folder", label: string, values: string[]) => (
    <label>
      {label}
      <select id={`filter-${k}`} value={draft[k]} onChange={(e) => apply(withFilter(draft, k, e.currentTarget.value))}>
        <option value="">Any</option>
        {values.map((v) => (
          <option value={v}>{v}</option>
        ))}
      </select>
    </label>
  );
  const p = data?.pagination;
  return (
    <main class="list">
      <form class="filters" onSubmit={submit} aria-label="Find recordings">
        {text("q", "Search", "title, agent, customer, call id…")}
        {text("agent", "Agent", "name or e-mail")}
        {text("customer", "Customer", "e-mail")}
        <label>
          From
          <input id="filter-from" type="date" value={draft.from} onChange={(e) => set("from", e.currentTarget.value)} />
        </label>
        <label>
          To
          <input id="filter-to" type="date" value={draft.to} onChange={(e) => set("to", e.currentTarget.value)} />
        </label>
        <label>
          Min. minutes
          <input id="filter-min" type="number" min="0" step="0.5" value={draft.minMinutes} onInput={(e) => set("minMinutes", e.currentTarget.value)} />
        </label>
        <label>
          Max. minutes
          <input id="filter-max" type="number" min="0" step="0.5" value={draft.maxMinutes} onInput={(e) => set("maxMinutes", e.currentTarget.value)} />
        </label>
        <label>
          Type
          <select id="filter-type" value={draft.type} onChange={(e) => apply(withFilter(draft, "type", e.currentTarget.value as Filters["type"]))}>
            <option value="">Any</option>
            <option value="Received">Received</option>
            <option value="Sent">Sent</option>
            <option value="Live">Live</option>
          </select>
        </label>
        {choice("queue", "Queue", options.queues)}
        {choice("label", "Label", options.labels)}
        {choice("folder", "Folder", options.folders)}
        <label>
          Sort
          <select id="sort" value={draft.sort} onChange={(e) => apply(withFilter(draft, "sort", e.currentTarget.value as SortOrder))}>
            {Object.entries(SORT_LABELS).map(([v, l]) => (
              <option value={v}>{l}</option>
            ))}
          </select>
        </label>
        <div class="filter-actions">
          <button class="primary" type="submit" id="filter-apply">
            Find
          </button>
          <button type="button" onClick={() => apply(EMPTY)}>
            Clear
          </button>
        </div>
      </form>
      {error !== null && <FailureBanner error={error} onRetry={() => setAttempt((a) => a + 1)} />}
      {p && (
        <p class="muted" id="result-count" aria-live="polite">
          {p.count === 0 ? "No recordings match." : `${p.from}–${p.to} of ${p.count}`}
          {loading && " · loading…"}
        </p>
      )}
      <table class="recordings" id="recordings">
        <thead>
          <tr>
            <th scope="col">
              <span class="sr-only">Preview</span>
            </th>
            <th scope="col">Recording</th>
            <th scope="col">Agent</th>
            <th scope="col">Customer</th>
            <th scope="col">Type</th>
            <th scope="col">Queue</th>
            <th scope="col">Duration</th>
            <th scope="col">Date</th>
          </tr>
        </thead>
        <tbody>
          {data?.records.map((r) => (
            <tr class="recording-row" data-uuid={r.uuid} key={r.uuid}>
              <td>
                <a href={routeHash({ view: "recording", id: r.uuid })} tabIndex={-1} aria-hidden="true">
                  <Poster api={api} rec={r} />
                </a>
              </td>
              <td>
                <a class="open" href={routeHash({ view: "recording", id: r.uuid })}>
                  {r.title ?? "(untitled)"}
                </a>
                <div class="muted small">
                  {r.agentrec.tracks.filter((t) => t.info.kind === "video").length} monitor(s)
                  {r.agentrec.state === "open" && <span class="badge processing"> still processing</span>}
                  {r.agentrec.outcome === "partial" && <span class="badge"> partial</span>}
                  {r.agentrec.labels.map((l) => (
                    <span class="badge label">{l}</span>
                  ))}
                  {r.agentrec.folder && <span class="badge folder">📁 {r.agentrec.folder}</span>}
                </div>
              </td>
              <td>{r.user?.name ?? ""}</td>
              <td>{r.customer.email ?? ""}</td>
              <td>{r.metadata.recording_type}</td>
              <td>{r.agentrec.queue ?? ""}</td>
              <td>{r.agentrec.duration_ms !== null ? formatTime(r.agentrec.duration_ms) : "—"}</td>
              <td>{new Date(r.metadata.created_at).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {p && p.pages > 1 && (
        <nav class="pager" aria-label="Pages">
          <button type="button" disabled={!p.prev_page} onClick={() => apply(withFilter(filters, "page", p.prev_page ?? 1))}>
            ← Previous
          </button>
          <span>
            Page {p.page} of {p.pages}
          </span>
          <button type="button" id="next-page" disabled={!p.next_page} onClick={() => apply(withFilter(filters, "page", p.next_page ?? p.page))}>
            Next →
          </button>
        </nav>
      )}
    </main>
  );
}
