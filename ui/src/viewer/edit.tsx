// Edit (admins): title, summary and description (PATCH), labels and folder, share links under
// the org's visibility rules with an expiry.
import { useEffect, useState } from "preact/hooks";
import { describeFailure, type ApiClient } from "./api/client";
import type { Me, Recording, ShareLink, ShareVisibility } from "./api/types";

const EXPIRIES: [number, string][] = [
  [1, "1 hour"],
  [24, "1 day"],
  [168, "7 days"],
  [720, "30 days"],
];

export function EditPanel({ api, me, rec, onChanged }: { api: ApiClient; me: Me; rec: Recording; onChanged: (r: Recording) => void }) {
  const [title, setTitle] = useState(rec.title ?? "");
  const [summary, setSummary] = useState(rec.summary ?? "");
  const [description, setDescription] = useState(rec.description ?? "");
  const [labels, setLabels] = useState(rec.agentrec.labels.join(", "));
  const [folder, setFolder] = useState(rec.agentrec.folder ?? "");
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const widest: ShareVisibility = rec.metadata.recording_type === "Live" ? me.sharing.live : me.sharing.calls;
  const [visibility, setVisibility] = useState<ShareVisibility>(widest);
  const [hours, setHours] = useState(168);
  const [links, setLinks] = useState<ShareLink[]>([]);
  const [newLink, setNewLink] = useState<string | null>(null);

  const refreshLinks = () =>
    api
      .shareLinks(rec.uuid)
      .then((l) => setLinks(l.links))
      .catch(() => {});
  useEffect(() => {
    refreshLinks();
  }, [rec.uuid]);

  const report = async (what: string, f: () => Promise<void>) => {
    try {
      await f();
      setMessage({ ok: true, text: `${what} saved.` });
    } catch (err) {
      const d = describeFailure(err);
      setMessage({ ok: false, text: `${what} not saved: ${d.detail}` });
    }
  };
  const saveText = (e: Event) => {
    e.preventDefault();
    report("Details", async () => {
      onChanged(await api.update(rec.uuid, { title, summary: summary || null, description: description || null }));
    });
  };
  const saveLabels = (e: Event) => {
    e.preventDefault();
    const list = labels
      .split(",")
      .map((l) => l.trim())
      .filter(Boolean);
    report("Labels", async () => {
      onChanged(await api.setLabels(rec.uuid, list, folder.trim() || null));
    });
  };
  const share = (e: Event) => {
    e.preventDefault();
    report("Share link", async () => {
      const link = await api.createShareLink(rec.uuid, visibility, hours);
      setNewLink(link.url);
      await refreshLinks();
    });
  };
  return (
    <section class="edit" aria-label="Edit recording" id="edit-panel">
      <h2>Edit</h2>
      <form onSubmit={saveText}>
        <label>
          Title
          <input id="edit-title" required maxLength={10000} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
        </label>
        <label>
          Summary
          <input id="edit-summary" maxLength={10000} value={summary} onInput={(e) => setSummary(e.currentTarget.value)} />
        </label>
        <label>
          Description
          <textarea id="edit-description" rows={3} maxLength={10000} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </label>
        <button type="submit" id="edit-save">
          Save details
        </button>
      </form>
      <form onSubmit={saveLabels}>
        <label>
          Labels (comma-separated)
          <input id="edit-labels" value={labels} onInput={(e) => setLabels(e.currentTarget.value)} />
        </label>
        <label>
          Folder
          <input id="edit-folder" value={folder} onInput={(e) => setFolder(e.currentTarget.value)} />
        </label>
        <button type="submit" id="labels-save">
          Save labels
        </button>
      </form>
      <form onSubmit={share}>
        <h3>Share link</h3>
        <label>
          Who can open it
          <select id="share-visibility" value={visibility} onChange={(e) => setVisibility(e.currentTarget.value as ShareVisibility)}>
            <option value="members_only">Workspace members only</option>
            {widest === "anyone_with_link" && <option value="anyone_with_link">Anyone with the link</option>}
          </select>
        </label>
        {widest === "members_only" && <p class="muted small">Your organisation allows only members-only links for this kind of recording.</p>}
        <label>
          Expires after
          <select id="share-expiry" value={String(hours)} onChange={(e) => setHours(Number(e.currentTarget.value))}>
            {EXPIRIES.map(([h, l]) => (
              <option value={String(h)}>{l}</option>
            ))}
          </select>
        </label>
        <button type="submit" id="share-create">
          Create link
        </button>
        {newLink && (
          <p class="banner" id="share-url">
            <input readOnly value={newLink} aria-label="Share link" onFocus={(e) => e.currentTarget.select()} />
            <button type="button" onClick={() => navigator.clipboard?.writeText(newLink).catch(() => {})}>
              Copy
            </button>
            <span class="muted small">Shown once: copy it now.</span>
          </p>
        )}
        <ul class="links">
          {links.map((l) => (
            <li>
              {l.visibility === "anyone_with_link" ? "Anyone with link" : "Members only"} · expires {new Date(l.expires_at).toLocaleString()}
              {l.revoked_at ? (
                " · revoked"
              ) : (
                <button type="button" class="link danger" onClick={() => report("Revocation", async () => { await api.revokeShareLink(l.id); await refreshLinks(); })}>
                  revoke
                </button>
              )}
            </li>
          ))}
        </ul>
      </form>
      {message && (
        <p class={`banner ${message.ok ? "" : "error"}`} role="status" id="edit-message">
          {message.text}
        </p>
      )}
    </section>
  );
}
