// Sign-in with the user's API token (issued by an admin). In the desktop app the token goes
// to the OS keyring; on the server's page it stays in this tab only.
import { useEffect, useState } from "preact/hooks";
import { ApiClient, describeFailure, type Credentials } from "./api/client";
import type { Me } from "./api/types";
import { defaultServer, inDesktopApp, saveCredentials } from "./session";

export function SignIn({ reason, onSignedIn }: { reason?: string; onSignedIn: (c: Credentials, me: Me) => void }) {
  const [server, setServer] = useState("");
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    defaultServer()
      .then(setServer)
      .catch(() => {});
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const creds = { server: server.trim().replace(/\/+$/, ""), token: token.trim() };
    try {
      const me = await new ApiClient(creds).me();
      await saveCredentials(creds);
      setError(null);
      onSignedIn(creds, me);
    } catch (err) {
      const f = describeFailure(err);
      setError(f.kind === "unauthorized" ? "This token is not valid (wrong, revoked or expired)." : `${f.title}: ${f.detail}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1>Review recordings</h1>
      {reason && <p class="banner">{reason}</p>}
      <p class="muted">Sign in with your agentrec API token (ask your administrator for one).</p>
      <form onSubmit={submit}>
        {(inDesktopApp() || !server) && (
          <label>
            Server URL
            <input id="signin-server" type="url" required value={server} onInput={(e) => setServer(e.currentTarget.value)} />
          </label>
        )}
        <label>
          API token
          <input id="signin-token" type="password" required autoComplete="off" value={token} onInput={(e) => setToken(e.currentTarget.value)} />
        </label>
        <button class="primary" type="submit" id="signin-submit" disabled={busy}>
          Sign in
        </button>
      </form>
      {error && (
        <p class="banner error" role="alert" id="signin-error">
          {error}
        </p>
      )}
      <p class="muted small">
        {inDesktopApp() ? "The token is kept in your system's keyring." : "The token is kept in this browser tab only and forgotten when it closes."}
      </p>
    </main>
  );
}
