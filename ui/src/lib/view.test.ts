import { describe, expect, it } from "vitest";
import type { StatusView } from "./types";
import { formatElapsed, offeredActions, recordedNow, statusLabel, bytesLabel, notRecordedReason } from "./view";

function view(over: Partial<StatusView["recorder"]> = {}): StatusView {
  return {
    recorder: {
      call: null,
      status: { status: "idle" },
      recording: null,
      mode: "always_on",
      allowed: [],
      prompt_pending: false,
      recorded_ms: 0,
      monitors: [],
      failing: [],
      policy_version: 0,
      ...over,
    },
    agent: {
      capture: { available: false, detail: "capture not available in this build" },
      server: { state: "not_configured" },
      upload_backlog: { state: "unknown", detail: "no uploader" },
      enrollment: { state: "needs_input" },
      config_error: null,
      policy_source: "default",
      consent_notice: null,
      last_problem: null,
    },
    tray_state: "idle",
    needs_attention: false,
  };
}

describe("formatElapsed", () => {
  it("uses m:ss under an hour and h:mm:ss above", () => {
    expect(formatElapsed(0)).toBe("0:00");
    expect(formatElapsed(61_999)).toBe("1:01");
    expect(formatElapsed(3_600_000 + 62_000)).toBe("1:01:02");
  });
  it("never shows negative time", () => {
    expect(formatElapsed(-5000)).toBe("0:00");
  });
});

describe("recordedNow", () => {
  it("counts up only while recording", () => {
    expect(recordedNow(view({ status: { status: "recording" }, recorded_ms: 1000 }), 10_000, 12_500)).toBe(3500);
    expect(recordedNow(view({ status: { status: "paused" }, recorded_ms: 1000 }), 10_000, 12_500)).toBe(1000);
  });
  it("ignores a clock that went backwards", () => {
    expect(recordedNow(view({ status: { status: "recording" }, recorded_ms: 1000 }), 10_000, 9_000)).toBe(1000);
  });
});

describe("offeredActions", () => {
  it("is exactly the Recorder's allowed set, prompt answers aside", () => {
    expect(offeredActions(view({ allowed: ["pause", "stop"] }))).toEqual(["pause", "stop"]);
    expect(offeredActions(view({ allowed: ["start", "accept_prompt", "decline_prompt"] }))).toEqual(["start"]);
    expect(offeredActions(view({ allowed: [] }))).toEqual([]);
  });
});

describe("labels", () => {
  it("names each status as the desktop clients do", () => {
    expect(statusLabel(view({ status: { status: "recording" } }))).toBe("Recording");
    expect(statusLabel(view({ status: { status: "waiting" } }))).toBe("Not recording");
    expect(statusLabel(view())).toBe("No call");
  });
  it("explains why a call is not recorded, even for reasons it does not know", () => {
    expect(notRecordedReason("not_acd")).toBe("only queue (ACD) calls are recorded");
    expect(notRecordedReason("some_new_reason")).toBe("some new reason");
  });
  it("sizes bytes in binary units", () => {
    expect(bytesLabel(512)).toBe("512 B");
    expect(bytesLabel(5 * 1024 * 1024)).toBe("5.0 MiB");
  });
});
