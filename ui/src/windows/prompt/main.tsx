// The live-session prompt: the host is asked before recording starts (Start / Cancel).
import { render } from "preact";
import { useState } from "preact/hooks";
import { act, errorMessage } from "../../lib/ipc";
import type { Action } from "../../lib/types";
import { useStatus } from "../../lib/useStatus";

function Prompt() {
  const { received } = useStatus();
  const [error, setError] = useState<string | null>(null);
  const answer = async (action: Action) => {
    try {
      await act(action);
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const pending = received?.view.recorder.prompt_pending ?? true;
  return (
    <main class="prompt">
      <h1 id="prompt-question">Start recording this session?</h1>
      <p class="muted">Recording captures your screens and the session audio until the session ends.</p>
      <div class="actions">
        <button class="primary" data-action="accept_prompt" disabled={!pending} onClick={() => answer("accept_prompt")}>
          Start
        </button>
        <button data-action="decline_prompt" disabled={!pending} onClick={() => answer("decline_prompt")}>
          Cancel
        </button>
      </div>
      {error && <p class="banner error">{error}</p>}
    </main>
  );
}

const root = document.getElementById("root");
if (root) render(<Prompt />, root);
