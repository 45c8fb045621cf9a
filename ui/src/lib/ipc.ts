// The app's IPC, typed: commands go to the Recorder's owner task; status arrives as events.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { Action, StatusView } from "./types";

export const STATUS_EVENT = "status";

export function getStatus(): Promise<StatusView> {
  return invoke<StatusView>("get_status");
}

/** Asks the Recorder for an action; rejects with an `ActError` when refused. */
export function act(action: Action): Promise<StatusView> {
  return invoke<StatusView>("act", { action });
}

export function enroll(serverUrl: string, token: string): Promise<void> {
  return invoke<void>("enroll", { serverUrl, token });
}

/** Calls `onStatus` with the current status and on every change after. */
export async function watchStatus(onStatus: (view: StatusView) => void): Promise<UnlistenFn> {
  const unlisten = await listen<StatusView>(STATUS_EVENT, (e) => onStatus(e.payload));
  onStatus(await getStatus());
  return unlisten;
}

export function errorMessage(err: unknown): string {
  if (typeof err === "object" && err !== null && "message" in err) {
    return String((err as { message: unknown }).message);
  }
  return String(err);
}
