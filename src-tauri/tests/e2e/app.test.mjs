// The real app, end to end: one test per recording mode, plus the live-session prompt and a
// broken managed config. Each drives a call through the local API, then checks the status
// window (WebDriver), the tray menu (D-Bus, as a panel reads it), the notifications
// (dbus-monitor) and that forbidden actions are impossible everywhere.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, afterEach, test } from "node:test";
import { APP, launch, waitFor } from "./harness.mjs";

let app = null;
afterEach(async (t) => {
  if (app) {
    if (t.passed === false) console.error(app.logs());
    await app.close();
    app = null;
  }
});
after(() => {});

const policy = (mode, extra = {}) => ({ version: 5, mode, ...extra });
// The tray icon's colours (src-tauri/src/tray.rs icon_rgba).
const ICON = { idle: "#8a8a90", recording: "#d92d20", paused: "#f5b700", error: "#7a271a" };

async function iconIs(state) {
  await waitFor(`tray icon ${state}`, async () => (await app.tray.colour()) === ICON[state]);
}
const answered = (call_id, extra = {}) => ({ type: "answered", call_id, acd: true, queue: "billing", ...extra });

async function statusIs(label) {
  await waitFor(`status "${label}" (now "${await app.statusText().catch(() => "?")}")`, async () => (await app.statusText()) === label);
}

async function offered(expected) {
  await waitFor(`window offers ${JSON.stringify(expected)}`, async () => {
    const got = await app.offeredInWindow();
    return JSON.stringify(got) === JSON.stringify(expected);
  });
  await waitFor(`tray offers ${JSON.stringify(expected)}`, async () => {
    const labels = await app.trayActions();
    const names = { start: "Start Recording", pause: "Pause Recording", resume: "Resume Recording", stop: "Stop Recording" };
    return JSON.stringify(labels) === JSON.stringify(expected.map((a) => names[a]));
  });
}

async function refused(action, kind) {
  const r = await app.api("POST", "/v1/actions", { action });
  assert.equal(r.status, 409, `${action} should be refused: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.error.kind, "refused");
  assert.equal(r.body.error.refusal.kind, kind);
  return r.body.error;
}

async function startApp(p) {
  app = await launch({ policy: p });
  await app.window("agentrec — status");
  await app.waitForApi();
  await statusIs("No call");
  await offered([]);
  // With no call the menu offers the app's own items only, Quit included.
  const menu = await app.tray.menu();
  assert.ok(menu.includes("Show status…") && menu.includes("Quit agentrec"), JSON.stringify(menu));
  await iconIs("idle");
}

test("Always on: recording starts with the call, no action is offered, pause is refused", { timeout: 60_000 }, async () => {
  await startApp(policy("always_on"));
  const r = await app.api("POST", "/v1/call-events", answered("ao-1"));
  assert.equal(r.status, 200);
  await statusIs("Recording");
  await offered([]);
  await iconIs("recording");
  const none = await app.find("#no-actions");
  assert.ok(none, "the window says no action is available");
  const menu = await app.tray.menu();
  assert.ok(!menu.includes("Quit agentrec"), "no quitting mid-call");
  const err = await refused("pause", "not_allowed_by_mode");
  assert.equal(err.message, "Always on recording does not allow this");
  await refused("stop", "not_allowed_by_mode");
  await app.notifications.waitFor("This call is being recorded");
  await app.notifications.waitFor("Recording started");
  // Honest about the missing capture pipeline.
  await waitFor("capture problem shown", async () => {
    const c = await app.find("#capture");
    return (await app.wd.text(c)).includes("problem");
  });
  await app.notifications.waitFor("Recording problem: microphone");
  await app.screenshot("always-on-status");
  // The always-visible indicator.
  await app.window("agentrec — recording");
  const ind = await app.find("#indicator");
  assert.equal(await app.wd.attribute(ind, "data-state"), "recording");
  await app.screenshot("always-on-indicator");
});

test("Pause/Resume: pause from the window, resume from the tray, stop is impossible", { timeout: 60_000 }, async () => {
  await startApp(policy("pause_resume"));
  await app.api("POST", "/v1/call-events", answered("pr-1"));
  await statusIs("Recording");
  await offered(["pause"]);
  await refused("stop", "not_allowed_by_mode");
  await refused("start", "not_allowed_by_mode");
  await app.clickAction("pause");
  await statusIs("Paused");
  await offered(["resume"]);
  await iconIs("paused");
  await app.notifications.waitFor("Recording paused");
  await app.tray.click("Resume Recording");
  await statusIs("Recording");
  await offered(["pause"]);
  await app.notifications.waitFor("Recording resumed");
  const r = await app.api("POST", "/v1/call-events", { type: "ended", call_id: "pr-1", wrapup: false });
  assert.equal(r.body.recorder.status.status, "idle");
  await statusIs("No call");
  await offered([]);
  await iconIs("idle");
});

test("On-Demand: start from the window, then pause only; stop is impossible", { timeout: 60_000 }, async () => {
  await startApp(policy("on_demand"));
  await app.api("POST", "/v1/call-events", answered("od-1"));
  await statusIs("Not recording");
  await offered(["start"]);
  await refused("pause", "wrong_state");
  await refused("stop", "not_allowed_by_mode");
  assert.ok(!app.notifications.summaries().includes("Recording started"), "nothing recorded before the agent starts");
  await app.clickAction("start");
  await statusIs("Recording");
  await offered(["pause"]);
  await app.notifications.waitFor("Recording started");
  await refused("stop", "not_allowed_by_mode");
  await app.tray.click("Pause Recording");
  await statusIs("Paused");
  await offered(["resume"]);
  await app.notifications.waitFor("Recording paused");
});

test("On-Demand UIS: start from the tray, stop from the window, start again", { timeout: 60_000 }, async () => {
  await startApp(policy("on_demand_uis"));
  await app.api("POST", "/v1/call-events", answered("uis-1"));
  await statusIs("Not recording");
  await offered(["start"]);
  await app.tray.click("Start Recording");
  await statusIs("Recording");
  await offered(["pause", "stop"]);
  await app.notifications.waitFor("Recording started");
  await app.clickAction("pause");
  await statusIs("Paused");
  await offered(["resume", "stop"]);
  await app.notifications.waitFor("Recording paused");
  await app.screenshot("uis-paused-status");
  await app.clickAction("stop");
  await statusIs("Stopped");
  await offered(["start"]);
  await app.notifications.waitFor("Recording stopped");
  await refused("pause", "wrong_state");
  await app.clickAction("start");
  await statusIs("Recording");
  await offered(["pause", "stop"]);
});

test("Live session with the Prompt trigger: the host is asked, Start records", { timeout: 60_000 }, async () => {
  await startApp(policy("on_demand_uis", { start_trigger: "prompt" }));
  await app.api("POST", "/v1/call-events", answered("room-1", { kind: "live", acd: false }));
  const r = await app.api("POST", "/v1/participant-events", {
    type: "joined",
    call_id: "room-1",
    participant: "agent-7",
    role: "host",
  });
  assert.equal(r.body.recorder.prompt_pending, true);
  await waitFor("prompt items in the tray", async () => {
    const labels = await app.tray.menu();
    return labels.includes("Start recording this session") && labels.includes("Don't record this session");
  });
  await app.window("Start recording?");
  const q = await app.find("#prompt-question");
  assert.equal(await app.wd.text(q), "Start recording this session?");
  await app.screenshot("prompt");
  await app.clickAction("accept_prompt");
  await waitFor("recording after Start", async () => (await app.api("GET", "/v1/state")).body.recorder.status.status === "recording");
  await app.notifications.waitFor("Recording started");
  await waitFor("the prompt window closes", async () => {
    for (const h of await app.wd.handles()) {
      await app.wd.switchTo(h);
      if ((await app.wd.title()) === "Start recording?") return false;
    }
    return true;
  });
  await app.window("agentrec — status");
  await statusIs("Recording");
  await offered(["pause", "stop"]);
  const e = await refused("decline_prompt", "no_prompt");
  assert.match(e.message, /no recording prompt/);
});

test("A broken managed config is shown, and the app keeps running", { timeout: 60_000 }, async () => {
  app = await launch({ managed: "server_url = \n[[[" });
  await app.window("agentrec — status");
  await waitFor("config error banner", async () => {
    const b = await app.find("#config-error");
    return b && (await app.wd.text(b)).includes("agent.toml");
  });
  const en = await app.find("#enrollment");
  assert.match(await app.wd.text(en), /managed config cannot be used/);
  await app.screenshot("broken-config-status");
  const menu = await app.tray.menu();
  assert.match(menu[0], /problem/);
  await iconIs("error");
});

test("A second launch hands over to the running app instead of starting another", { timeout: 60_000 }, async () => {
  await startApp(policy("pause_resume"));
  const before = await app.wd.handles();
  const second = spawnSync(APP, ["--show-status"], { env: app.env, timeout: 20_000, encoding: "utf8" });
  assert.equal(second.status, 0, `second launch: ${second.stderr}`);
  await waitFor("the running app hears the second launch", () => app.logs().includes("second launch"));
  assert.equal((await app.wd.handles()).length, before.length, "no second status window");
  // Still one app: it still answers, with the same token file.
  assert.equal((await app.api("GET", "/v1/state")).status, 200);
});

test("First run without a managed config: the enrollment window saves server and token", { timeout: 60_000 }, async () => {
  app = await launch({ managed: false, policy: policy("on_demand") });
  await app.window("agentrec — enroll this workstation");
  const url = await app.find("#server-url");
  const token = await app.find("#token");
  await app.wd.type(url, "ftp://recording.example.test");
  await app.wd.type(token, "first-run-token");
  await app.click("#enroll-submit");
  await waitFor("the URL is refused with a reason", async () => {
    const e = await app.find("#enroll-error");
    return e && /https:\/\//.test(await app.wd.text(e));
  });
  await app.wd.clear(url);
  await app.wd.type(url, "https://recording.example.test/");
  await app.click("#enroll-submit");
  await app.window("agentrec — status");
  await waitFor("enrollment pending in the status window", async () => {
    const en = await app.find("#enrollment");
    return /pending with https:\/\/recording\.example\.test \(/.test(await app.wd.text(en));
  });
  const saved = readFileSync(join(app.dataDir, "enrollment.toml"), "utf8");
  assert.match(saved, /server_url = "https:\/\/recording\.example\.test"/);
  assert.ok(!saved.includes("first-run-token"), "the token is not written to disk");
  const keys = spawnSync("keyctl", ["show", "@s"], { encoding: "utf8" }).stdout;
  assert.match(keys, new RegExp(`enrollment-token.*${app.env.AGENTREC_KEYRING_SERVICE}|${app.env.AGENTREC_KEYRING_SERVICE}.*enrollment-token`));
  assert.match(keys, /spool-key/, "the spool key was created on first run");
});

test("Logout mid-call (SIGTERM): the recording ends as partial and the app exits", { timeout: 60_000 }, async () => {
  await startApp(policy("always_on"));
  await app.api("POST", "/v1/call-events", answered("term-1"));
  await statusIs("Recording");
  await sleep(3_300); // past the policy's 3 s minimum, so the recording is kept, not discarded
  const pid = app.appPid();
  process.kill(pid, "SIGTERM");
  const gone = () => {
    try {
      return readFileSync(`/proc/${pid}/stat`, "utf8").split(" ")[2] === "Z";
    } catch {
      return true;
    }
  };
  await waitFor("the app exits", gone, 10_000);
  const log = app.logs();
  assert.match(log, /asked to stop: ending the recording in progress/);
  assert.match(log, /recording finalized.*call=term-1 outcome=Partial reason=Shutdown/);
});
