// The recording list's filters and sort, and their two spellings: the viewer's URL fragment
// (so a filtered list can be bookmarked or shared) and the server's query string. Pure.
import type { RecordingType } from "./api/types";

export type SortOrder = "-created_at" | "created_at" | "-duration" | "duration" | "title" | "agent";

export const SORT_LABELS: Record<SortOrder, string> = {
  "-created_at": "Newest first",
  created_at: "Oldest first",
  "-duration": "Longest first",
  duration: "Shortest first",
  title: "Title (A–Z)",
  agent: "Agent (A–Z)",
};

export interface Filters {
  q: string;
  agent: string;
  customer: string;
  /** Dates as the date inputs give them: `YYYY-MM-DD`, local time; inclusive. */
  from: string;
  to: string;
  /** Minutes, as typed. */
  minMinutes: string;
  maxMinutes: string;
  type: RecordingType | "";
  queue: string;
  label: string;
  folder: string;
  sort: SortOrder;
  page: number;
}

export const EMPTY: Filters = {
  q: "",
  agent: "",
  customer: "",
  from: "",
  to: "",
  minMinutes: "",
  maxMinutes: "",
  type: "",
  queue: "",
  label: "",
  folder: "",
  sort: "-created_at",
  page: 1,
};

const TEXT_KEYS = ["q", "agent", "customer", "from", "to", "queue", "label", "folder"] as const;
const TYPES: RecordingType[] = ["Received", "Sent", "Live"];

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** `YYYY-MM-DD` (local midnight) plus `days`, as RFC 3339 in UTC; null if not a date. */
export function localDayToRfc3339(day: string, days = 0): string | null {
  if (!DATE.test(day)) return null;
  const [y, m, d] = day.split("-").map(Number);
  const t = new Date(y, m - 1, d + days);
  if (Number.isNaN(t.getTime())) return null;
  return t.toISOString();
}

function minutesToSeconds(text: string): number | null {
  if (text.trim() === "") return null;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) return null;
  return Math.round(n * 60);
}

/** The server's query string for these filters (`GET /api/v2/recordings?…`). */
export function toApiQuery(f: Filters): string {
  const p = new URLSearchParams();
  if (f.page > 1) p.set("page", String(f.page));
  for (const k of ["q", "agent", "customer", "queue", "label", "folder"] as const) {
    const v = f[k].trim();
    if (v) p.set(k, v);
  }
  const from = localDayToRfc3339(f.from);
  if (from) p.set("from", from);
  // `to` is inclusive in the form and exclusive on the server: the next day's midnight.
  const to = localDayToRfc3339(f.to, 1);
  if (to) p.set("to", to);
  const min = minutesToSeconds(f.minMinutes);
  if (min !== null) p.set("min_duration", String(min));
  const max = minutesToSeconds(f.maxMinutes);
  if (max !== null) p.set("max_duration", String(max));
  if (f.type) p.set("recording_type", f.type);
  if (f.sort !== "-created_at") p.set("sort", f.sort);
  return p.toString();
}

/** The fragment spelling (`#/?agent=ann&page=2`): only what differs from the defaults. */
export function toHashQuery(f: Filters): string {
  const p = new URLSearchParams();
  for (const k of TEXT_KEYS) if (f[k].trim()) p.set(k, f[k].trim());
  if (f.minMinutes.trim()) p.set("min", f.minMinutes.trim());
  if (f.maxMinutes.trim()) p.set("max", f.maxMinutes.trim());
  if (f.type) p.set("type", f.type);
  if (f.sort !== EMPTY.sort) p.set("sort", f.sort);
  if (f.page > 1) p.set("page", String(f.page));
  return p.toString();
}

/** Reads the fragment spelling back; unknown or malformed values fall back to the defaults. */
export function fromHashQuery(query: string): Filters {
  const p = new URLSearchParams(query);
  const f: Filters = { ...EMPTY };
  for (const k of TEXT_KEYS) f[k] = p.get(k) ?? "";
  if (f.from && !DATE.test(f.from)) f.from = "";
  if (f.to && !DATE.test(f.to)) f.to = "";
  f.minMinutes = p.get("min") ?? "";
  f.maxMinutes = p.get("max") ?? "";
  const type = p.get("type");
  f.type = TYPES.includes(type as RecordingType) ? (type as RecordingType) : "";
  const sort = p.get("sort");
  f.sort = sort && sort in SORT_LABELS ? (sort as SortOrder) : EMPTY.sort;
  const page = Number(p.get("page") ?? "1");
  f.page = Number.isInteger(page) && page >= 1 ? page : 1;
  return f;
}

/** A changed filter starts again at page 1. */
export function withFilter<K extends keyof Filters>(f: Filters, key: K, value: Filters[K]): Filters {
  return { ...f, [key]: value, page: key === "page" ? (value as number) : 1 };
}
