// The viewer: sign-in, then Find (list) and Watch (player), routed by the URL fragment.
import { useEffect, useState } from "preact/hooks";
import { ApiClient, ApiFailure, type Credentials } from "./api/client";
import type { Me } from "./api/types";
import { RecordingListView } from "./list";
import { parseRoute, routeHash, type Route } from "./route";
import { forgetCredentials, loadCredentials } from "./session";
import { SignIn } from "./signin";
import { FailureBanner } from "./states";
import { Watch } from "./watch";

function useRoute(): Route {
  const [route, setRoute] = useState(parseRoute(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}

export function App() {
  const route = useRoute();
  const [creds, setCreds] = useState<Credentials | null | undefined>(undefined);
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [signInReason, setSignInReason] = useState<string | undefined>();

  useEffect(() => {
    loadCredentials()
      .then(async (c) => {
        if (!c) return setCreds(null);
        try {
          setMe(await new ApiClient(c).me());
          setCreds(c);
        } catch (e) {
          if (e instanceof ApiFailure && e.kind === "unauthorized") {
            setSignInReason("Your token is no longer valid: sign in again.");
            await forgetCredentials();
            setCreds(null);
          } else {
            setCreds(c);
            setError(e);
          }
        }
      })
      .catch(() => setCreds(null));
  }, []);

  const signOut = async () => {
    await forgetCredentials();
    setMe(null);
    setCreds(null);
  };
  const signIn = () => setCreds(null);

  if (creds === undefined) return <main class="muted">Loading…</main>;

  // A share link opens without signing in when it is an anyone-with-link one.
  if (route.view === "shared" && !creds) {
    return (
      <Watch
        api={new ApiClient({ server: window.location.origin, token: "" })}
        me={null}
        source={{ kind: "shared", token: route.token }}
        onSignIn={() => {
          setSignInReason("This link is for members of the workspace: sign in to open it.");
          window.location.hash = routeHash(route) + "?signin=1";
        }}
      />
    );
  }
  if (!creds) {
    return (
      <SignIn
        reason={signInReason}
        onSignedIn={(c, m) => {
          setCreds(c);
          setMe(m);
          setError(null);
        }}
      />
    );
  }
  const api = new ApiClient(creds);
  return (
    <div class="viewer">
      <nav class="topbar" aria-label="Viewer">
        <a href="#/" class="brand">
          agentrec · Recordings
        </a>
        <span class="spacer" />
        {me && (
          <span class="who" id="who">
            {me.name} ({me.role})
          </span>
        )}
        <button type="button" id="sign-out" onClick={signOut}>
          Sign out
        </button>
      </nav>
      {error !== null && <FailureBanner error={error} onSignIn={signIn} onRetry={() => window.location.reload()} />}
      {me && !me.can_view_recordings && route.view === "list" ? (
        <main>
          <p class="banner" id="no-access">
            Your organisation does not let agents view recordings.
          </p>
        </main>
      ) : route.view === "list" ? (
        <RecordingListView api={api} query={route.query} onQuery={(q) => (window.location.hash = routeHash({ view: "list", query: q }))} />
      ) : route.view === "recording" ? (
        <Watch api={api} me={me} source={{ kind: "recording", id: route.id }} onSignIn={signIn} />
      ) : (
        <Watch api={api} me={me} source={{ kind: "shared", token: route.token }} onSignIn={signIn} />
      )}
    </div>
  );
}
