// The viewer's HTTP client: bearer-authenticated JSON calls to the ingest server, with the
// failures a reviewer must be told about sorted into kinds (signed out, forbidden, gone,
// still processing, network down).
import type {
  Bookmark,
  FilterOptions,
  Me,
  Recording,
  RecordingList,
  ShareLink,
  ShareVisibility,
} from "./types";

export type FailureKind =
  | "unauthorized" // 401: token missing, wrong, revoked or expired
  | "forbidden" // 403: signed in, but this role may not
  | "not_found" // 404: deleted, never existed, or not visible to this user
  | "processing" // 409: the recording is not finalized yet
  | "invalid" // 400/422: the request was refused as malformed
  | "server" // 5xx
  | "network"; // no answer at all

export class ApiFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiFailure";
  }
}

export function failureKind(status: number): FailureKind {
  switch (status) {
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
    case 410:
      return "not_found";
    case 409:
      return "processing";
    case 400:
    case 415:
    case 422:
      return "invalid";
    default:
      return status >= 500 ? "server" : "invalid";
  }
}

/** Where the server is and who we are. `token` may be empty for an anyone-with-link share. */
export interface Credentials {
  server: string;
  token: string;
}

export class ApiClient {
  readonly base: string;

  constructor(readonly creds: Credentials) {
    this.base = `${creds.server.replace(/\/+$/, "")}/api/v2`;
  }

  /** The Authorization header, for media requests made by the player. */
  authHeader(): Record<string, string> {
    return this.creds.token ? { Authorization: `Bearer ${this.creds.token}` } : {};
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = path.startsWith("http") ? path : `${this.base}${path}`;
    const headers: Record<string, string> = { Accept: "application/json", ...this.authHeader() };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let resp: Response;
    try {
      resp = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiFailure("network", 0, `The server cannot be reached (${String(err)})`);
    }
    if (!resp.ok) {
      let message = resp.statusText;
      try {
        const j = (await resp.json()) as { error?: string };
        if (j.error) message = j.error;
      } catch {
        // not JSON: keep the status text
      }
      throw new ApiFailure(failureKind(resp.status), resp.status, message);
    }
    if (resp.status === 204) return undefined as T;
    return (await resp.json()) as T;
  }

  /** Fetches a binary resource (poster) with the credentials; returns an object URL. */
  async blobUrl(url: string): Promise<string> {
    let resp: Response;
    try {
      resp = await fetch(url, { headers: this.authHeader() });
    } catch (err) {
      throw new ApiFailure("network", 0, String(err));
    }
    if (!resp.ok) throw new ApiFailure(failureKind(resp.status), resp.status, resp.statusText);
    return URL.createObjectURL(await resp.blob());
  }

  me(): Promise<Me> {
    return this.request("GET", "/me");
  }
  list(query: string): Promise<RecordingList> {
    return this.request("GET", `/recordings${query ? `?${query}` : ""}`);
  }
  filterOptions(): Promise<FilterOptions> {
    return this.request("GET", "/recording-filters");
  }
  /** Counts a view (impression) and is audited by the server. */
  recording(id: string): Promise<Recording> {
    return this.request("GET", `/recordings/${encodeURIComponent(id)}`);
  }
  shared(token: string): Promise<Recording> {
    return this.request("GET", `/shared/${encodeURIComponent(token)}`);
  }
  update(id: string, fields: { title?: string; summary?: string | null; description?: string | null }): Promise<Recording> {
    return this.request("PATCH", `/recordings/${encodeURIComponent(id)}`, { recording: fields });
  }
  setLabels(id: string, labels: string[], folder: string | null): Promise<Recording> {
    return this.request("PUT", `/recordings/${encodeURIComponent(id)}/labels`, { labels, folder });
  }
  bookmarks(id: string): Promise<{ bookmarks: Bookmark[] }> {
    return this.request("GET", `/recordings/${encodeURIComponent(id)}/bookmarks`);
  }
  addBookmark(id: string, offsetMs: number, body: string): Promise<Bookmark> {
    return this.request("POST", `/recordings/${encodeURIComponent(id)}/bookmarks`, {
      offset_ms: Math.round(offsetMs),
      body,
    });
  }
  deleteBookmark(id: string, bookmark: string): Promise<void> {
    return this.request("DELETE", `/recordings/${encodeURIComponent(id)}/bookmarks/${encodeURIComponent(bookmark)}`);
  }
  shareLinks(id: string): Promise<{ links: ShareLink[] }> {
    return this.request("GET", `/recordings/${encodeURIComponent(id)}/share-links`);
  }
  createShareLink(id: string, visibility: ShareVisibility, expiresInHours: number): Promise<ShareLink> {
    return this.request("POST", `/recordings/${encodeURIComponent(id)}/share-links`, {
      visibility,
      expires_in_hours: expiresInHours,
    });
  }
  revokeShareLink(link: string): Promise<void> {
    return this.request("DELETE", `/share-links/${encodeURIComponent(link)}`);
  }
  /** Downloads the one-file MP4 (with the credentials, so through a blob). */
  async download(url: string): Promise<Blob> {
    let resp: Response;
    try {
      resp = await fetch(url, { headers: this.authHeader() });
    } catch (err) {
      throw new ApiFailure("network", 0, String(err));
    }
    if (!resp.ok) {
      let message = resp.statusText;
      try {
        message = ((await resp.json()) as { error?: string }).error ?? message;
      } catch {
        // keep the status text
      }
      throw new ApiFailure(failureKind(resp.status), resp.status, message);
    }
    return resp.blob();
  }
}

/** What to tell the user about a failure. */
export function describeFailure(err: unknown): { kind: FailureKind; title: string; detail: string } {
  const f = err instanceof ApiFailure ? err : new ApiFailure("network", 0, String(err));
  const titles: Record<FailureKind, string> = {
    unauthorized: "Please sign in again",
    forbidden: "You are not allowed to do this",
    not_found: "This recording does not exist or was deleted",
    processing: "Still processing",
    invalid: "The request was refused",
    server: "The server had a problem",
    network: "Network down: the server cannot be reached",
  };
  return { kind: f.kind, title: titles[f.kind], detail: f.message };
}
