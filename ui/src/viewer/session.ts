// Where the viewer keeps the user's API token: in the desktop app, the OS keyring (through
// the app's `viewer_*` commands); on the server's web page, the tab's sessionStorage (gone
// when the tab closes, never sent anywhere but the API's Authorization header).
import type { Credentials } from "./api/client";

const KEY = "agentrec.viewer.credentials";

export function inDesktopApp(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

async function invoke<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  const core = await import("@tauri-apps/api/core");
  return core.invoke<T>(cmd, args);
}

/** The server the page came from (web), or the one the app is enrolled with (app). */
export async function defaultServer(): Promise<string> {
  if (inDesktopApp()) {
    const c = await invoke<{ server: string | null }>("viewer_credentials");
    return c.server ?? "";
  }
  return window.location.origin;
}

export async function loadCredentials(): Promise<Credentials | null> {
  if (inDesktopApp()) {
    const c = await invoke<{ server: string | null; token: string | null }>("viewer_credentials");
    return c.server && c.token ? { server: c.server, token: c.token } : null;
  }
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const c = JSON.parse(raw) as Credentials;
    return typeof c.server === "string" && typeof c.token === "string" && c.token ? c : null;
  } catch {
    return null;
  }
}

export async function saveCredentials(c: Credentials): Promise<void> {
  if (inDesktopApp()) {
    await invoke<void>("viewer_sign_in", { server: c.server, token: c.token });
    return;
  }
  sessionStorage.setItem(KEY, JSON.stringify(c));
}

export async function forgetCredentials(): Promise<void> {
  if (inDesktopApp()) {
    await invoke<void>("viewer_sign_out");
    return;
  }
  sessionStorage.removeItem(KEY);
}
