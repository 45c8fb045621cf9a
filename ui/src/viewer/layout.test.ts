import { describe, expect, it } from "vitest";
import { desktopArrangement, desktopOrder } from "./layout";

describe("desktop arrangement", () => {
  it("lays four monitors in a row as on the desktop", () => {
    const rects = [0, 1, 2, 3].map((i) => ({ x: i * 1920, y: 0, width: 1920, height: 1080 }));
    const a = desktopArrangement(rects);
    expect(a.aspect).toBeCloseTo(7680 / 1080);
    expect(a.boxes.map((b) => b.left)).toEqual([0, 25, 50, 75]);
    expect(a.boxes.every((b) => b.width === 25 && b.height === 100 && b.top === 0)).toBe(true);
  });
  it("handles a 2×2 grid, negative origins and mixed sizes", () => {
    const a = desktopArrangement([
      { x: -1280, y: 0, width: 1280, height: 1024 },
      { x: 0, y: 0, width: 1920, height: 1080 },
      { x: 0, y: 1080, width: 1920, height: 1080 },
    ]);
    expect(a.aspect).toBeCloseTo(3200 / 2160);
    expect(a.boxes[0]).toEqual({ left: 0, top: 0, width: 40, height: (1024 / 2160) * 100 });
    expect(a.boxes[2].top).toBeCloseTo(50);
  });
  it("orders monitors left to right", () => {
    expect(
      desktopOrder([
        { x: 1920, y: 0, width: 1, height: 1 },
        { x: -10, y: 0, width: 1, height: 1 },
        { x: 0, y: 0, width: 1, height: 1 },
      ]),
    ).toEqual([1, 2, 0]);
  });
  it("has no boxes without monitors", () => {
    expect(desktopArrangement([]).boxes).toEqual([]);
  });
});
