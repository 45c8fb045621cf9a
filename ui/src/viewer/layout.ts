// Where each monitor's video goes, pure: side by side as the agent's monitors were arranged
// on the desktop (scaled into the stage), or one enlarged with the others as thumbnails.
import type { DesktopRect } from "./api/types";

export interface Box {
  /** Percent of the stage. */
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Arrangement {
  boxes: Box[];
  /** The stage's width / height, to size it. */
  aspect: number;
}

/** The monitors' rectangles, scaled so that their bounding box fills the stage. */
export function desktopArrangement(rects: DesktopRect[]): Arrangement {
  if (rects.length === 0) return { boxes: [], aspect: 16 / 9 };
  const minX = Math.min(...rects.map((r) => r.x));
  const minY = Math.min(...rects.map((r) => r.y));
  const maxX = Math.max(...rects.map((r) => r.x + r.width));
  const maxY = Math.max(...rects.map((r) => r.y + r.height));
  const w = Math.max(1, maxX - minX);
  const h = Math.max(1, maxY - minY);
  return {
    aspect: w / h,
    boxes: rects.map((r) => ({
      left: ((r.x - minX) / w) * 100,
      top: ((r.y - minY) / h) * 100,
      width: (r.width / w) * 100,
      height: (r.height / h) * 100,
    })),
  };
}

/** The order the monitors appear in desktop order: left to right, then top to bottom. */
export function desktopOrder(rects: DesktopRect[]): number[] {
  return rects
    .map((r, i) => ({ r, i }))
    .sort((a, b) => a.r.x - b.r.x || a.r.y - b.r.y)
    .map((e) => e.i);
}
