import { describe, expect, it } from "vitest";
import { EMPTY, fromHashQuery, localDayToRfc3339, toApiQuery, toHashQuery, withFilter } from "./filters";

describe("filters", () => {
  it("sends only what is set, in the server's names", () => {
    expect(toApiQuery(EMPTY)).toBe("");
    const q = new URLSearchParams(
      toApiQuery({ ...EMPTY, agent: " ann ", type: "Live", minMinutes: "1.5", sort: "-duration", page: 3, label: "qa" }),
    );
    expect(Object.fromEntries(q)).toEqual({
      page: "3",
      agent: "ann",
      label: "qa",
      min_duration: "90",
      recording_type: "Live",
      sort: "-duration",
    });
  });
  it("makes the date range inclusive of the last day, in local time", () => {
    const q = new URLSearchParams(toApiQuery({ ...EMPTY, from: "2026-03-01", to: "2026-03-01" }));
    const from = new Date(q.get("from") ?? "");
    const to = new Date(q.get("to") ?? "");
    expect(to.getTime() - from.getTime()).toBeGreaterThanOrEqual(23 * 3600_000);
    expect(from.getHours()).toBe(0);
    expect(localDayToRfc3339("yesterday")).toBeNull();
  });
  it("drops durations that are not numbers", () => {
    expect(toApiQuery({ ...EMPTY, minMinutes: "abc", maxMinutes: "-2" })).toBe("");
  });
  it("round-trips through the URL fragment", () => {
    const f = { ...EMPTY, q: "refund", customer: "carol", from: "2026-01-02", type: "Sent" as const, sort: "agent" as const, page: 2 };
    expect(fromHashQuery(toHashQuery(f))).toEqual(f);
    expect(toHashQuery(EMPTY)).toBe("");
  });
  it("ignores malformed fragment values", () => {
    expect(fromHashQuery("type=Voicemail&sort=bogus&page=-4&from=soon")).toEqual(EMPTY);
  });
  it("goes back to page 1 when a filter changes", () => {
    const f = { ...EMPTY, page: 4 };
    expect(withFilter(f, "queue", "sales").page).toBe(1);
    expect(withFilter(f, "page", 5).page).toBe(5);
  });
});
