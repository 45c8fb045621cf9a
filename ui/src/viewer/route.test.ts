import { describe, expect, it } from "vitest";
import { parseRoute, routeHash } from "./route";

describe("routes", () => {
  it("reads the three views", () => {
    expect(parseRoute("")).toEqual({ view: "list", query: "" });
    expect(parseRoute("#/?agent=ann&page=2")).toEqual({ view: "list", query: "agent=ann&page=2" });
    expect(parseRoute("#/recordings/0B9A1C2D-1111-4222-8333-444455556666")).toEqual({
      view: "recording",
      id: "0b9a1c2d-1111-4222-8333-444455556666",
    });
    expect(parseRoute("#/shared/ar_shr_abc-DEF")).toEqual({ view: "shared", token: "ar_shr_abc-DEF" });
  });
  it("falls back to the list on anything else", () => {
    expect(parseRoute("#/recordings/not-a-uuid")).toEqual({ view: "list", query: "" });
    expect(parseRoute("#/shared/a b")).toEqual({ view: "list", query: "" });
  });
  it("writes what it reads", () => {
    for (const h of ["#/", "#/?q=x", "#/recordings/0b9a1c2d-1111-4222-8333-444455556666", "#/shared/ar_shr_x"]) {
      expect(routeHash(parseRoute(h))).toBe(h);
    }
  });
});
