// Preact hook: the latest status, and when it arrived (for the live elapsed-time counter).
import { useEffect, useState } from "preact/hooks";
import { watchStatus } from "./ipc";
import type { StatusView } from "./types";

export interface Received {
  view: StatusView;
  atMs: number;
}

export function useStatus(): { received: Received | null; error: string | null } {
  const [received, setReceived] = useState<Received | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let unlisten: (() => void) | undefined;
    watchStatus((view) => setReceived({ view, atMs: Date.now() }))
      .then((u) => (unlisten = u))
      .catch((e) => setError(String(e)));
    return () => unlisten?.();
  }, []);
  return { received, error };
}

/** Re-renders every `periodMs` while `active`. */
export function useTicker(active: boolean, periodMs = 500): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    const id = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(id);
  }, [active, periodMs]);
  return now;
}
