// A WebDriver client with no dependencies (Node 20 fetch): just the commands the tests use.

export const ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf";

export class WebDriver {
  constructor(baseUrl) {
    this.baseUrl = baseUrl;
    this.sessionId = null;
  }

  async #call(method, path, body) {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) {
      const v = json.value ?? {};
      throw new Error(`WebDriver ${method} ${path}: ${res.status} ${v.error ?? ""} ${v.message ?? ""}`);
    }
    return json.value;
  }

  #s(path) {
    return `/session/${this.sessionId}${path}`;
  }

  async start(application, args) {
    const value = await this.#call("POST", "/session", {
      capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application, args } } },
    });
    this.sessionId = value.sessionId;
    return value;
  }

  async quit() {
    if (!this.sessionId) return;
    try {
      await this.#call("DELETE", this.#s(""));
    } finally {
      this.sessionId = null;
    }
  }

  handles() {
    return this.#call("GET", this.#s("/window/handles"));
  }

  switchTo(handle) {
    return this.#call("POST", this.#s("/window"), { handle });
  }

  title() {
    return this.#call("GET", this.#s("/title"));
  }

  async findAll(css) {
    const found = await this.#call("POST", this.#s("/elements"), { using: "css selector", value: css });
    return found.map((e) => e[ELEMENT_KEY]);
  }

  text(elementId) {
    return this.#call("GET", this.#s(`/element/${elementId}/text`));
  }

  attribute(elementId, name) {
    return this.#call("GET", this.#s(`/element/${elementId}/attribute/${name}`));
  }

  /** Types `text` into an input. */
  type(elementId, text) {
    return this.#call("POST", this.#s(`/element/${elementId}/value`), { text });
  }

  clear(elementId) {
    return this.#call("POST", this.#s(`/element/${elementId}/clear`), {});
  }

  click(elementId) {
    return this.#call("POST", this.#s(`/element/${elementId}/click`), {});
  }

  /** A PNG of the current window, base64. */
  screenshot() {
    return this.#call("GET", this.#s("/screenshot"));
  }

  execute(script, args = []) {
    return this.#call("POST", this.#s("/execute/sync"), { script, args });
  }
}
