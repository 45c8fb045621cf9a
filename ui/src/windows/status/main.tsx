// The status window: what is recorded now, the actions the policy offers, and the health of
// the pieces around it (capture, uploads, server link, enrollment).
import { render } from "preact";
import { useState } from "preact/hooks";
import { act, errorMessage } from "../../lib/ipc";
import type { Action, StatusView } from "../../lib/types";
import { useStatus, useTicker } from "../../lib/useStatus";
import {
  ACTION_LABELS,
  MODE_LABELS,
  TRAY_STATE_LABELS,
  bytesLabel,
  formatElapsed,
  notRecordedReason,
  offeredActions,
  recordedNow,
  sourceLabel,
  statusLabel,
} from "../../lib/view";

function Actions({ view, onError }: { view: StatusView; onError: (m: string | null) => void }) {
  const [busy, setBusy] = useState(false);
  const run = async (action: Action) => {
    setBusy(true);
    try {
      await act(action);
      onError(null);
    } catch (e) {
      onError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const actions = offeredActions(view);
  if (actions.length === 0) {
    return <p class="muted" id="no-actions">No recording actions are available now.</p>;
  }
  return (
    <div class="actions" id="actions">
      {actions.map((a) => (
        <button
          key={a}
          data-action={a}
          class={a === "start" || a === "resume" ? "primary" : ""}
          disabled={busy}
          onClick={() => run(a)}
        >
          {ACTION_LABELS[a]}
        </button>
      ))}
    </div>
  );
}

function Row({ id, label, children }: { id: string; label: string; children: preact.ComponentChildren }) {
  return (
    <tr>
      <th scope="row">{label}</th>
      <td id={id}>{children}</td>
    </tr>
  );
}

function Status({ view, atMs }: { view: StatusView; atMs: number }) {
  const [actionError, setActionError] = useState<string | null>(null);
  const r = view.recorder;
  const a = view.agent;
  const now = useTicker(r.status.status === "recording");
  return (
    <main>
      <header>
        <span id="status" class={`badge badge-${r.status.status}`} data-status={r.status.status}>
          {statusLabel(view)}
        </span>
        <span id="mode" class="muted" data-mode={r.mode}>
          {MODE_LABELS[r.mode]} mode
        </span>
      </header>
      {a.config_error && (
        <p class="banner error" id="config-error">
          Configuration problem: {a.config_error}
        </p>
      )}
      {r.status.status === "recording" && (
        <p class="banner notice" id="consent-notice">
          {a.consent_notice ?? "This call is being recorded."}
        </p>
      )}
      {r.status.status === "paused" && (
        <p class="banner" id="paused-notice">
          Recording is paused: nothing is captured until you resume.
        </p>
      )}
      {r.status.status === "not_recorded" && (
        <p class="banner" id="not-recorded">
          This call is not recorded: {notRecordedReason(r.status.reason)}.
        </p>
      )}
      <Actions view={view} onError={setActionError} />
      {actionError && (
        <p class="banner error" id="action-error">
          {actionError}
        </p>
      )}
      <table>
        <tbody>
          <Row id="call" label="Current call">
            {r.call
              ? `${r.call.call_id}${r.call.queue ? ` (${r.call.queue})` : ""} — ${r.call.phase.replace("_", "-")}`
              : "none"}
          </Row>
          <Row id="recorded" label="Recorded">
            {formatElapsed(recordedNow(view, atMs, now))}
          </Row>
          <Row id="monitors" label="Monitors captured">
            {r.monitors.length ? r.monitors.join(", ") : "none"}
          </Row>
          <Row id="capture" label="Capture">
            {r.failing.length
              ? `problem: ${r.failing.map(sourceLabel).join(", ")}`
              : a.capture.available
                ? "ready"
                : a.capture.detail}
          </Row>
          <Row id="backlog" label="Upload backlog">
            {a.upload_backlog.state === "known"
              ? `${a.upload_backlog.segments} segments, ${bytesLabel(a.upload_backlog.bytes)}`
              : `unknown (${a.upload_backlog.detail})`}
          </Row>
          <Row id="server" label="Server">
            {a.server.state === "connected"
              ? `connected to ${a.server.url}`
              : a.server.state === "not_connected"
                ? `not connected to ${a.server.url} (${a.server.detail})`
                : "not configured"}
          </Row>
          <Row id="enrollment" label="Enrollment">
            {a.enrollment.state === "needs_input"
              ? "not enrolled: enter the server and token in the enrollment window"
              : a.enrollment.state === "failed"
                ? `failed: ${a.enrollment.detail}`
                : a.enrollment.state === "pending"
                  ? `pending with ${a.enrollment.server_url} (${a.enrollment.detail})`
                  : a.enrollment.state === "needs_token"
                    ? `a new enrollment token is needed for ${a.enrollment.server_url}: ${a.enrollment.detail}`
                    : `enrolled with ${a.enrollment.server_url}`}
          </Row>
          <Row id="policy" label="Policy">
            {a.policy_source === "cache" ? `version ${r.policy_version}` : "built-in default (none received yet)"}
          </Row>
          <Row id="tray-state" label="State">
            {TRAY_STATE_LABELS[view.tray_state]}
            {view.needs_attention && view.tray_state !== "error" ? " — needs attention" : ""}
          </Row>
        </tbody>
      </table>
      {a.last_problem && (
        <p class="banner error" id="last-problem">
          {a.last_problem}
        </p>
      )}
    </main>
  );
}

function App() {
  const { received, error } = useStatus();
  if (error) return <p class="banner error">Cannot reach the recorder: {error}</p>;
  if (!received) return <p class="muted">Loading…</p>;
  return <Status view={received.view} atMs={received.atMs} />;
}

const root = document.getElementById("root");
if (root) render(<App />, root);
