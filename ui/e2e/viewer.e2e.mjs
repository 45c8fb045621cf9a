// End-to-end tests of the supervisor viewer in headless Chromium (Debian's, driven by
// playwright-core) against the real ingest server that scripts/test.d/60-viewer-e2e.sh set
// up with recordings from the real capture pipeline. Run by that script; the environment
// names the server, the users' tokens and where screenshots go.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run scripts/test.d/60-viewer-e2e.sh`);
  return v;
};
const SERVER = env("VIEWER_E2E_SERVER");
const OUT = env("VIEWER_E2E_OUT");
const TOKENS = {
  admin: env("VIEWER_E2E_ADMIN"),
  supervisor: env("VIEWER_E2E_SUPERVISOR"),
  ann: env("VIEWER_E2E_ANN"),
  bob: env("VIEWER_E2E_BOB"),
};
/** Sync tolerance the issue sets: every video within 100 ms of the call audio. */
const MAX_DRIFT_S = 0.1;

mkdirSync(OUT, { recursive: true });
const figures = {};
let browser;

before(async () => {
  // Flags as the machine notes give them; playwright adds --headless and starts every launch
  // with a fresh, empty --user-data-dir of its own (passing one in `args` is refused).
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
});

after(async () => {
  await browser?.close();
  writeFileSync(join(OUT, "figures.json"), JSON.stringify(figures, null, 2));
  console.log("figures:", JSON.stringify(figures));
});

async function api(method, path, token, body) {
  const r = await fetch(`${SERVER}/api/v2${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

/** A fresh browser context signed in as `who` through the sign-in form. */
async function signedIn(who) {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error(`[${who}] page error:`, e.message));
  await page.goto(`${SERVER}/viewer/`);
  await page.fill("#signin-token", TOKENS[who]);
  await page.click("#signin-submit");
  await page.waitForSelector("#who");
  return { context, page };
}

/**
 * Samples |video − audio| every 100 ms for `ms` while playing. A video is measured only where
 * it has media at the audio's time (buffered there, a frame decoded): its side of a pause gap
 * and the time past its last frame have none. Returns the worst offset, per-video worst and
 * measured-sample counts, and how often a video had no media or was still seeking.
 */
async function measureDrift(page, ms) {
  return page.evaluate(async (duration) => {
    const audio = document.querySelector("#call-audio");
    const videos = [...document.querySelectorAll("video.monitor-video")];
    const hasMediaAt = (v, t) => {
      if (v.readyState < 2) return false;
      for (let i = 0; i < v.buffered.length; i++) if (t >= v.buffered.start(i) && t <= v.buffered.end(i)) return true;
      return false;
    };
    let worst = 0;
    let samples = 0;
    let skipped = 0;
    const perVideo = videos.map(() => 0);
    const measured = videos.map(() => 0);
    const noMedia = videos.map(() => 0);
    const seeking = videos.map(() => 0);
    const series = []; // [audio time, worst offset of the sample], ms
    const end = performance.now() + duration;
    while (performance.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
      if (audio.paused || audio.seeking) {
        skipped++;
        continue;
      }
      const a = audio.currentTime;
      let sampleWorst = 0;
      videos.forEach((v, i) => {
        if (!hasMediaAt(v, a)) return void noMedia[i]++;
        if (v.seeking) return void seeking[i]++;
        const d = Math.abs(v.currentTime - a);
        perVideo[i] = Math.max(perVideo[i], d);
        worst = Math.max(worst, d);
        sampleWorst = Math.max(sampleWorst, d);
        measured[i]++;
      });
      series.push([Math.round(a * 1000), Math.round(sampleWorst * 1000)]);
      samples++;
    }
    return { worst, samples, skipped, perVideo, measured, noMedia, seeking, series, audioAt: audio.currentTime, rate: audio.playbackRate };
  }, ms);
}

/** Waits until the audio plays steadily from where it is (after a play or a seek). */
async function waitSettled(page, minTime = 0) {
  await page.waitForFunction(
    (t) => {
      const a = document.querySelector("#call-audio");
      return a && !a.paused && !a.seeking && a.readyState >= 3 && a.currentTime > t;
    },
    minTime,
    { timeout: 20_000 },
  );
  // The audio really advances (not stalled at the edge of its first media), and the
  // followers' own seeks have landed (a few sync ticks).
  await page.waitForFunction(
    () =>
      new Promise((resolve) => {
        const a = document.querySelector("#call-audio");
        const t = a.currentTime;
        setTimeout(() => resolve(!a.paused && a.currentTime > t + 0.1), 250);
      }),
    null,
    { timeout: 20_000 },
  );
  // Then the monitors line up (after a play or a seek the followers take a moment: their
  // own seek, then rate nudges). How long that took is a reported figure, bounded here; the
  // sync checks measure from then on.
  const t0 = Date.now();
  await page.waitForFunction(
    () => {
      const a = document.querySelector("#call-audio");
      const t = a.currentTime;
      return [...document.querySelectorAll("video.monitor-video")].every((v) => {
        let inside = false;
        for (let i = 0; i < v.buffered.length; i++) inside ||= t >= v.buffered.start(i) && t <= v.buffered.end(i);
        return !inside || (!v.seeking && Math.abs(v.currentTime - t) < 0.05);
      });
    },
    null,
    { timeout: 3_000, polling: 50 },
  );
  settleTimes.push(Date.now() - t0);
  figures.settleMs = settleTimes;
}
const settleTimes = [];

let recordingId;
let pauseMarkerMs;

test("supervisor signs in, finds and filters recordings with posters", async () => {
  const { context, page } = await signedIn("supervisor");
  await page.waitForSelector("tr.recording-row");
  assert.equal(await page.locator("tr.recording-row").count(), 2, "ann's and bob's recordings of sam's team");
  // Filter by agent, then by type.
  await page.fill("#filter-agent", "ann");
  await page.click("#filter-apply");
  await page.waitForFunction(() => document.querySelectorAll("tr.recording-row").length === 1);
  assert.match(await page.textContent("tr.recording-row"), /Refund request/);
  assert.match(page.url(), /agent=ann/, "the filters are in the URL");
  await page.selectOption("#filter-type", "Sent");
  await page.waitForFunction(() => /No recordings match/.test(document.querySelector("#result-count")?.textContent ?? ""));
  await page.selectOption("#filter-type", "Received");
  await page.waitForFunction(() => document.querySelectorAll("tr.recording-row").length === 1);
  // The poster thumbnail is a real image fetched with the token.
  await page.waitForFunction(() => {
    const img = document.querySelector("tr.recording-row img.poster");
    return img && img.complete && img.naturalWidth > 0;
  });
  recordingId = await page.getAttribute("tr.recording-row", "data-uuid");
  await page.fill("#filter-agent", "");
  await page.selectOption("#filter-type", "");
  await page.waitForFunction(() => document.querySelectorAll("tr.recording-row").length === 2);
  await page.waitForFunction(() => [...document.querySelectorAll("img.poster")].every((i) => i.complete && i.naturalWidth > 0));
  await page.screenshot({ path: join(OUT, "list.png"), fullPage: true });
  await context.close();
});

test("supervisor watches the 4-monitor recording in sync with the audio; view-only: no download", async () => {
  const { context, page } = await signedIn("supervisor");
  const before = (await api("GET", `/recordings/${recordingId}`, TOKENS.admin)).body.metadata.impressions_count;
  await page.goto(`${SERVER}/viewer/viewer.html#/recordings/${recordingId}`);
  await page.waitForSelector("#recording-title");
  assert.match(await page.textContent("#recording-title"), /Refund request$/, "the server's title ends with the call's");
  assert.equal(await page.locator("video.monitor-video").count(), 4, "all four monitors");
  assert.equal(await page.locator("#download").count(), 0, "supervisors view, not download (default policy)");
  assert.equal(await page.locator("#edit-panel").count(), 0, "no edit panel for a supervisor");
  const rec = (await api("GET", `/recordings/${recordingId}`, TOKENS.admin)).body;
  assert.equal(rec.metadata.impressions_count, before + 2, "the supervisor's view counted (and the admin's check)");
  const audit = (await api("GET", "/admin/audit", TOKENS.admin)).body;
  assert.ok(JSON.stringify(audit).includes("sam@acme.example"), "the view is in the audit log");

  // The monitors sit side by side as on the desktop.
  const boxes = await page.$$eval("figure.monitor", (els) => els.map((e) => e.getBoundingClientRect().left));
  assert.deepEqual([...boxes].sort((a, b) => a - b), boxes, "left to right, MON0 to MON3");

  await page.click("#play");
  await waitSettled(page, 0.3);
  const play = await measureDrift(page, 5000);
  figures.playing = play;
  assert.ok(play.samples >= 30, `enough samples (${play.samples})`);
  assert.ok(play.measured.every((n) => n >= 25), `every monitor measured while playing: ${play.measured}`);
  assert.ok(play.worst < MAX_DRIFT_S, `videos within 100 ms of the audio while playing: ${play.worst.toFixed(3)} s`);
  // Every monitor actually shows decoded AV1 frames.
  const frames = await page.$$eval("video.monitor-video", (vs) => vs.map((v) => v.getVideoPlaybackQuality().totalVideoFrames));
  assert.ok(frames.every((n) => n > 0), `every monitor decoded frames: ${frames}`);
  await page.screenshot({ path: join(OUT, "player.png"), fullPage: true });

  // Seek to the pause marker: playback continues where recording resumed, still in sync.
  const marker = page.locator(".mark.event.pause").first();
  pauseMarkerMs = Number(await marker.getAttribute("data-offset-ms"));
  const resume = rec.agentrec.timeline.find((e) => e.event === "resumed").offset_ms;
  assert.ok(pauseMarkerMs > 8000 && resume - pauseMarkerMs > 4000, `a ~5 s pause (${pauseMarkerMs}–${resume} ms)`);
  await marker.click();
  await waitSettled(page, resume / 1000 - 0.05);
  // The screens' first frames after a resume can come a moment after the audio's (the
  // capture's tick; ~2 s seen here): measure long enough for every monitor to have media again.
  const afterSeek = await measureDrift(page, 6000);
  figures.afterPauseSeek = { ...afterSeek, pauseMs: pauseMarkerMs, resumeMs: resume };
  assert.ok(afterSeek.audioAt * 1000 >= resume, "the pause gap was jumped over");
  assert.ok(afterSeek.measured.every((n) => n >= 5), `every monitor followed after the gap: ${afterSeek.measured}`);
  assert.ok(afterSeek.worst < MAX_DRIFT_S, `in sync after the seek: ${afterSeek.worst.toFixed(3)} s`);

  // Speed: 2×, still in sync.
  await page.click(".mark.event.answered");
  await page.selectOption("#speed", "2");
  await waitSettled(page, 0.2);
  const fast = await measureDrift(page, 3000);
  figures.at2x = fast;
  assert.equal(fast.rate, 2);
  assert.ok(fast.worst < MAX_DRIFT_S, `in sync at 2×: ${fast.worst.toFixed(3)} s`);
  await page.selectOption("#speed", "0.5");
  await waitSettled(page, 0);
  const slow = await measureDrift(page, 2000);
  figures.atHalf = slow;
  assert.ok(slow.worst < MAX_DRIFT_S, `in sync at 0.5×: ${slow.worst.toFixed(3)} s`);

  // Keyboard: Space pauses, → goes forward 10 s (from 2 s: 12 s is in the pause gap, so the
  // player lands on the resume), ← back 10 s; paused monitors line up with the audio wherever
  // they have media. (The speed list had the focus: arrows there would change the speed.)
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press("Space");
  await page.waitForFunction(() => document.querySelector("#call-audio").paused);
  await page.evaluate(() => (document.querySelector("#call-audio").currentTime = 2));
  await page.waitForFunction(() => !document.querySelector("#call-audio").seeking);
  await page.keyboard.press("ArrowRight");
  await page.waitForFunction((r) => document.querySelector("#call-audio").currentTime * 1000 >= r - 1, resume);
  await page.waitForTimeout(200); // the player's clock shows the landing point
  await page.keyboard.press("ArrowLeft");
  await page
    .waitForFunction(() => document.querySelector("#call-audio").currentTime < 6, null, { timeout: 5_000 })
    .catch(async (e) => {
      const at = await page.evaluate(() => document.querySelector("#call-audio").currentTime);
      throw new Error(`← did not go back 10 s from the resume (audio at ${at}): ${e.message}`);
    });
  await page.waitForTimeout(500);
  const pausedOffsets = await page.evaluate(() => {
    const a = document.querySelector("#call-audio");
    return [...document.querySelectorAll("video.monitor-video")].map((v) => Math.abs(v.currentTime - a.currentTime));
  });
  figures.pausedAfterKeys = pausedOffsets;
  assert.ok(Math.max(...pausedOffsets) < MAX_DRIFT_S, `paused videos line up with the audio: ${pausedOffsets}`);

  // Add a bookmark at the current position: stored on the server, shown on the timeline.
  await page.fill("#bookmark-text", "Card number read aloud before the pause");
  await page.click("#bookmark-add");
  await page.waitForSelector("#bookmark-list li[data-bookmark]");
  await page.waitForSelector(".mark.bookmark");
  const stored = (await api("GET", `/recordings/${recordingId}/bookmarks`, TOKENS.supervisor)).body.bookmarks;
  assert.equal(stored.length, 1);
  assert.equal(stored[0].body, "Card number read aloud before the pause");
  assert.equal(stored[0].author_email, "sam@acme.example");
  await page.reload();
  await page.waitForSelector("#bookmark-list li[data-bookmark]");
  await page.screenshot({ path: join(OUT, "player-bookmark.png"), fullPage: true });
  await context.close();
});

test("skip-silence jumps over the quiet stretches of the call audio", async () => {
  const { context, page } = await signedIn("supervisor");
  await page.goto(`${SERVER}/viewer/viewer.html#/recordings/${recordingId}`);
  await page.waitForSelector("#recording-title");
  await page.check("#skip-silence");
  await page.waitForSelector(".timeline .span.silence", { timeout: 20_000 });
  const spans = await page.locator(".timeline .span.silence").count();
  assert.ok(spans >= 1, "silence found in the call audio");
  await page.click("#play");
  await waitSettled(page, 0.2);
  // From the resume after the PCI pause: the agent's next words come ~5 s later (the script
  // waits 8 s of wall time, part of it paused), a silence the player must jump over.
  const rec = (await api("GET", `/recordings/${recordingId}`, TOKENS.admin)).body;
  const resumeS = rec.agentrec.timeline.find((e) => e.event === "resumed").offset_ms / 1000;
  // Sync is measured during the skipping itself (the recording's end, where the screens'
  // last frames stop before the audio's, stays out of the window).
  const t0 = Date.now();
  await page.locator(".mark.event.pause").first().click();
  const during = await measureDrift(page, 4000);
  const t = { from: resumeS, media: during.audioAt - resumeS, wall: (Date.now() - t0) / 1000 };
  figures.skipSilence = { silentSpans: spans, ...t, drift: during };
  assert.ok(t.media > t.wall + 2, `more media time than wall time passed (${t.media.toFixed(1)} s in ${t.wall.toFixed(1)} s)`);
  assert.ok(during.measured.every((n) => n >= 10), `every monitor measured while skipping: ${during.measured}`);
  assert.ok(during.worst < MAX_DRIFT_S, `in sync while skipping: ${during.worst}`);
  await context.close();
});

test("admin sees download and edit; edits, labels and shares", async () => {
  const { context, page } = await signedIn("admin");
  await page.goto(`${SERVER}/viewer/viewer.html#/recordings/${recordingId}`);
  await page.waitForSelector("#download");
  await page.fill("#edit-title", "Refund request (double charge)");
  await page.click("#edit-save");
  await page.waitForSelector("#edit-message");
  await page.waitForFunction(() => document.querySelector("#recording-title")?.textContent === "Refund request (double charge)");
  await page.fill("#edit-labels", "refund, coaching");
  await page.fill("#edit-folder", "QA week 48");
  await page.click("#labels-save");
  await page.waitForFunction(() => /Labels saved/.test(document.querySelector("#edit-message")?.textContent ?? ""));
  const rec = (await api("GET", `/recordings/${recordingId}`, TOKENS.admin)).body;
  assert.deepEqual(rec.agentrec.labels, ["coaching", "refund"]);
  assert.equal(rec.agentrec.folder, "QA week 48");
  // Only members-only links for call recordings (the org's default rule).
  assert.deepEqual(await page.$$eval("#share-visibility option", (o) => o.map((x) => x.value)), ["members_only"]);
  await page.selectOption("#share-expiry", "24");
  await page.click("#share-create");
  await page.waitForSelector("#share-url input");
  const link = await page.inputValue("#share-url input");
  assert.match(link, /\/shared\/ar_shr_/);
  // The download is the one-file MP4.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
  assert.match(download.suggestedFilename(), /\.mp4$/);
  await context.close();

  // The link opens for a member of the org after signing in, not for an anonymous visitor.
  const anon = await browser.newContext();
  const p = await anon.newPage();
  await p.goto(link);
  await p.waitForSelector("#failure");
  assert.equal(await p.getAttribute("#failure", "data-kind"), "unauthorized");
  await anon.close();
  const member = await signedIn("bob");
  await member.page.goto(link);
  await member.page.waitForSelector("#recording-title");
  assert.equal(await member.page.locator("video.monitor-video").count(), 4);
  assert.equal(await member.page.locator("#download").count(), 0, "a link gives viewing only");
  await member.context.close();
});

test("list filters by label and folder, and the states are clear", async () => {
  const { context, page } = await signedIn("supervisor");
  await page.goto(`${SERVER}/viewer/viewer.html#/?label=refund`);
  await page.waitForFunction(() => document.querySelectorAll("tr.recording-row").length === 1);
  await page.goto(`${SERVER}/viewer/viewer.html#/?folder=QA%20week%2048&sort=-duration`);
  await page.waitForFunction(() => document.querySelectorAll("tr.recording-row").length === 1);
  // Deleted or never existed: 404.
  await page.goto(`${SERVER}/viewer/viewer.html#/recordings/00000000-0000-4000-8000-000000000000`);
  await page.waitForSelector("#failure");
  assert.equal(await page.getAttribute("#failure", "data-kind"), "not_found");
  // Network down.
  await context.setOffline(true);
  await page.evaluate(() => (window.location.hash = "#/?q=anything"));
  await page.waitForSelector("#failure[data-kind=network]");
  await context.setOffline(false);
  await page.click("#failure button");
  await page.waitForFunction(() => !document.querySelector("#failure"));
  await context.close();
});

test("an agent sees nothing while policy forbids it, then only their own recordings", async () => {
  const { context, page } = await signedIn("ann");
  await page.waitForSelector("#no-access");
  const policy = (await api("GET", "/admin/policy", TOKENS.admin)).body;
  const put = await api("PUT", "/admin/policy", TOKENS.admin, {
    ...policy,
    access: { ...policy.access, agents_view_own: true },
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  await page.reload();
  await page.waitForSelector("tr.recording-row");
  const rows = await page.$$eval("tr.recording-row", (r) => r.map((x) => x.getAttribute("data-uuid")));
  assert.deepEqual(rows, [recordingId], "only ann's own recording");
  const bobs = (await api("GET", "/recordings?agent=bob", TOKENS.admin)).body.records[0].uuid;
  await page.goto(`${SERVER}/viewer/viewer.html#/recordings/${bobs}`);
  await page.waitForSelector("#failure");
  assert.equal(await page.getAttribute("#failure", "data-kind"), "not_found", "another agent's recording is not found");
  await context.close();
});
