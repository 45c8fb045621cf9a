// One real agent app per test: its own data dir, managed config, policy cache and keyring
// service; started through tauri-driver + WebKitWebDriver; with a stand-in panel reading the
// tray menu over D-Bus and dbus-monitor watching desktop notifications (dunst shows them).
// Must run inside `xvfb-run -a dbus-run-session -- keyctl session - …` (scripts/test.d/40-app-e2e.sh).

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { WebDriver } from "./webdriver.mjs";

const HERE = new URL(".", import.meta.url).pathname;
const REPO = resolve(HERE, "../../..");
export const APP =
  process.env.AGENTREC_APP_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(REPO, "target"), "debug", "agentrec-app");

export async function waitFor(what, fn, timeoutMs = 10_000, periodMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
    await sleep(periodMs);
  }
}

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
    srv.on("error", rej);
  });
}

function start(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], detached: true, ...opts });
  child.logs = [];
  const keep = (d) => {
    child.logs.push(String(d));
    if (child.logs.length > 400) child.logs.shift();
  };
  child.stderr.on("data", keep);
  return child;
}

function stop(child) {
  if (!child || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, "SIGTERM"); // the whole process group: driver, WebKitWebDriver, app
  } catch {}
}

/** The stand-in panel: JSON lines to tray_host.py. */
class TrayHost {
  constructor() {
    this.proc = start("/usr/bin/python3", [join(HERE, "tray_host.py")]);
    this.lines = createInterface({ input: this.proc.stdout });
    this.queue = [];
    this.waiters = [];
    this.lines.on("line", (l) => {
      const msg = JSON.parse(l);
      const w = this.waiters.shift();
      if (w) w(msg);
      else this.queue.push(msg);
    });
  }
  next() {
    const q = this.queue.shift();
    if (q) return Promise.resolve(q);
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`tray host silent: ${this.proc.logs.join("")}`)), 10_000);
      this.waiters.push((m) => {
        clearTimeout(t);
        res(m);
      });
    });
  }
  async ready() {
    const m = await this.next();
    if (!m.ready) throw new Error(`tray host: ${JSON.stringify(m)}`);
  }
  async ask(cmd) {
    this.proc.stdin.write(JSON.stringify(cmd) + "\n");
    const m = await this.next();
    if (m.error) throw new Error(`tray host: ${m.error}`);
    return m;
  }
  /** The menu's labels, separators as "---". */
  async menu() {
    const { menu } = await this.ask({ cmd: "menu" });
    return menu.map((e) => (e.type === "separator" ? "---" : e.label));
  }
  click(label) {
    return this.ask({ cmd: "click", label });
  }
  /** The icon's state colour as "#rrggbb": a pixel left of centre, clear of the pause bars, error bar and attention dot. */
  async colour() {
    const { rgba } = await this.ask({ cmd: "icon_pixel", x: 8, y: 16 });
    return "#" + rgba.slice(0, 3).map((v) => v.toString(16).padStart(2, "0")).join("");
  }
}

/** Desktop notifications as the notification daemon receives them (summary, body). */
class NotificationWatch {
  constructor() {
    this.proc = start("dbus-monitor", ["--session", "interface='org.freedesktop.Notifications',member='Notify'"]);
    this.seen = [];
    let strings = null;
    createInterface({ input: this.proc.stdout }).on("line", (line) => {
      if (line.startsWith("method call")) {
        strings = [];
        return;
      }
      const m = line.match(/^\s+string "(.*)"$/);
      if (strings && m) {
        strings.push(m[1]);
        // app_name, app_icon, summary, body
        if (strings.length === 4) {
          this.seen.push({ app: strings[0], summary: strings[2], body: strings[3] });
          strings = null;
        }
      }
    });
  }
  summaries() {
    return this.seen.map((n) => n.summary);
  }
  waitFor(summary, timeoutMs = 8000) {
    return waitFor(`notification "${summary}" (seen: ${JSON.stringify(this.summaries())})`, () =>
      this.seen.find((n) => n.summary === summary),
    timeoutMs);
  }
}

/**
 * Starts the app with `policy` in its policy cache (or none) and `managed` as its managed config
 * text (or a default enrolled one). Returns the test's handles; call `close()` at the end.
 */
export async function launch({ policy, managed } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "agentrec-e2e-"));
  const dataDir = join(dir, "data");
  const apiPort = await freePort();
  const managedPath = join(dir, "agent.toml");
  // `managed: false`: no managed config at all (first run on an unmanaged machine).
  const defaultManaged = [
    `server_url = "https://recording.example.test"`,
    `enrollment_token = "e2e-token"`,
    `autostart = false`,
    `[local_api]`,
    `port = ${apiPort}`,
  ].join("\n");
  if (managed !== false) writeFileSync(managedPath, managed ?? defaultManaged);
  if (policy) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, "policy.json"), JSON.stringify(policy));
  }
  const env = {
    ...process.env,
    AGENTREC_DATA_DIR: dataDir,
    AGENTREC_MANAGED_CONFIG: managedPath,
    AGENTREC_KEYRING: "keyutils",
    AGENTREC_KEYRING_SERVICE: `agentrec-e2e-${process.pid}-${Date.now()}`,
    AGENTREC_LOG: "agentrec_app=debug,info",
    XDG_CONFIG_HOME: join(dir, "config"),
  };

  const tray = new TrayHost();
  await tray.ready();
  const notifications = new NotificationWatch();
  const driverPort = await freePort();
  const nativePort = await freePort();
  const driver = start("tauri-driver", ["--port", String(driverPort), "--native-port", String(nativePort)], { env });
  const wd = new WebDriver(`http://127.0.0.1:${driverPort}`);
  await waitFor("tauri-driver", async () => (await fetch(`http://127.0.0.1:${driverPort}/status`)).ok, 10_000);
  await wd.start(APP, ["--show-status"]);

  const tokenFile = join(dataDir, "local-api.json");
  const api = async (method, path, body) => {
    const { url, token } = JSON.parse(readFileSync(tokenFile, "utf8"));
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: await res.json() };
  };

  const t = {
    dir,
    env,
    dataDir,
    wd,
    tray,
    notifications,
    api,
    tokenFile,
    async waitForApi() {
      await waitFor("the local API token file", () => existsSync(tokenFile), 15_000);
      return waitFor("the local API", async () => (await api("GET", "/v1/state")).status === 200);
    },
    /** Switches WebDriver to the window titled `title`; returns its handle. */
    async window(title, timeoutMs = 8000) {
      return waitFor(`window "${title}"`, async () => {
        for (const h of await wd.handles()) {
          await wd.switchTo(h);
          if ((await wd.title()) === title) return h;
        }
        return null;
      }, timeoutMs, 200);
    },
    /** The first element matching `css`, once it exists (pages render after their first status). */
    async find(css, timeoutMs = 8000) {
      return waitFor(`element ${css}`, async () => (await wd.findAll(css))[0], timeoutMs);
    },
    /** The status window's action buttons, as `data-action` values. */
    async offeredInWindow() {
      const ids = await wd.findAll("[data-action]");
      return Promise.all(ids.map((id) => wd.attribute(id, "data-action")));
    },
    async statusText() {
      const [id] = await wd.findAll("#status");
      return id ? wd.text(id) : null;
    },
    async clickAction(action) {
      return t.click(`[data-action="${action}"]`);
    },
    async click(css) {
      const id = await t.find(css);
      try {
        await wd.click(id);
      } catch (e) {
        // A click that closes its own window (the prompt's Start/Cancel) has no window to
        // report back from; the effect is checked by the caller.
        if (!String(e.message).includes("no such window")) throw e;
      }
    },
    /** The tray menu's recording actions (labels), without header, separators and app items. */
    async trayActions() {
      const labels = await tray.menu();
      return labels.filter((l) => l !== "---" && !l.startsWith("agentrec —") && l !== "Show status…" && l !== "Quit agentrec");
    },
    async close() {
      try {
        await wd.quit();
      } catch {}
      for (const p of [driver, tray.proc, notifications.proc]) stop(p);
      await sleep(200);
      rmSync(dir, { recursive: true, force: true });
    },
    /** Saves the current window as `name`.png under $AGENTREC_E2E_SCREENSHOTS, when set. */
    async screenshot(name) {
      const dir = process.env.AGENTREC_E2E_SCREENSHOTS;
      if (!dir) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${name}.png`), Buffer.from(await wd.screenshot(), "base64"));
    },
    /** The pid of this test's app process (found by its data directory in /proc). */
    appPid() {
      for (const entry of readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
          const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0")[0];
          if (cmd !== APP) continue;
          if (readFileSync(`/proc/${entry}/environ`, "utf8").includes(`AGENTREC_DATA_DIR=${dataDir}\0`)) return Number(entry);
        } catch {}
      }
      throw new Error("the app's process was not found");
    },
    logs() {
      return driver.logs.join("");
    },
  };
  return t;
}
