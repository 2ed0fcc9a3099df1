import { describe, expect, it } from "vitest";
import { boxText, MIN_SIDE, movedBox, validBox, WHOLE } from "./crop-box";

const close = (a: { x: number; y: number; w: number; h: number }, b: typeof a) => {
  for (const k of ["x", "y", "w", "h"] as const) expect(a[k]).toBeCloseTo(b[k], 9);
};

describe("the search-area box", () => {
  it("moves inside the photo only", () => {
    close(movedBox({ x: 0.2, y: 0.2, w: 0.5, h: 0.5 }, "move", 0.1, -0.1), { x: 0.3, y: 0.1, w: 0.5, h: 0.5 });
    close(movedBox({ x: 0.2, y: 0.2, w: 0.5, h: 0.5 }, "move", 0.9, -0.9), { x: 0.5, y: 0, w: 0.5, h: 0.5 });
    close(movedBox(WHOLE, "move", 0.1, 0.1), WHOLE);
  });

  it("resizes by a corner, never past the photo nor under the smallest side", () => {
    close(movedBox(WHOLE, "se", -0.3, -0.2), { x: 0, y: 0, w: 0.7, h: 0.8 });
    close(movedBox(WHOLE, "nw", 0.3, 0.2), { x: 0.3, y: 0.2, w: 0.7, h: 0.8 });
    close(movedBox({ x: 0.5, y: 0.5, w: 0.3, h: 0.3 }, "ne", 0.5, -0.9), { x: 0.5, y: 0, w: 0.5, h: 0.8 });
    const tiny = movedBox({ x: 0.4, y: 0.4, w: 0.3, h: 0.3 }, "sw", 0.9, -0.9);
    expect(tiny.w).toBeCloseTo(MIN_SIDE, 9);
    expect(tiny.h).toBeCloseTo(MIN_SIDE, 9);
  });

  it("makes a box from outside valid, and says it in %", () => {
    close(validBox(null), WHOLE);
    close(validBox({ x: 0.9, y: -1, w: 0.5, h: 2 }), { x: 0.5, y: 0, w: 0.5, h: 1 });
    close(validBox({ x: 0, y: 0, w: 0.01, h: Number.NaN }), { x: 0, y: 0, w: MIN_SIDE, h: 1 });
    expect(boxText({ x: 0.1, y: 0.2, w: 0.5, h: 0.6 })).toBe("Left 10%, top 20%, width 50%, height 60%");
  });
});
