// First-run enrollment, when IT did not install a managed config: server URL + enrollment token.
import { render } from "preact";
import { useState } from "preact/hooks";
import { enroll, errorMessage } from "../../lib/ipc";

function Enroll() {
  const [serverUrl, setServerUrl] = useState("");
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await enroll(serverUrl.trim(), token.trim());
      setError(null);
      setDone(true);
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  if (done) {
    return (
      <main>
        <p id="enroll-done">Saved. This workstation will enroll with {serverUrl.trim()}.</p>
      </main>
    );
  }
  return (
    <main>
      <h1>Enroll this workstation</h1>
      <p class="muted">Your IT team gives you the server address and a one-time enrollment token.</p>
      <form onSubmit={submit}>
        <label>
          Server URL
          <input id="server-url" type="url" required placeholder="https://recording.example.com" value={serverUrl} onInput={(e) => setServerUrl(e.currentTarget.value)} />
        </label>
        <label>
          Enrollment token
          <input id="token" type="password" required value={token} onInput={(e) => setToken(e.currentTarget.value)} />
        </label>
        <button class="primary" type="submit" id="enroll-submit">
          Enroll
        </button>
      </form>
      {error && (
        <p class="banner error" id="enroll-error">
          {error}
        </p>
      )}
    </main>
  );
}

const root = document.getElementById("root");
if (root) render(<Enroll />, root);
