// How the viewer tells the user why something is not there: still processing, deleted,
// forbidden, network down, signed out.
import { describeFailure } from "./api/client";

export function FailureBanner({ error, onRetry, onSignIn }: { error: unknown; onRetry?: () => void; onSignIn?: () => void }) {
  const { kind, title, detail } = describeFailure(error);
  return (
    <div class={`banner error state-${kind}`} role="alert" id="failure" data-kind={kind}>
      <strong>{title}</strong>
      <div class="muted">{detail}</div>
      <div class="actions">
        {kind === "unauthorized" && onSignIn && (
          <button type="button" onClick={onSignIn}>
            Sign in
          </button>
        )}
        {(kind === "network" || kind === "server" || kind === "processing") && onRetry && (
          <button type="button" onClick={onRetry}>
            Try again
          </button>
        )}
      </div>
    </div>
  );
}
