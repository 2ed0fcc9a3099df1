import { describe, expect, it } from "vitest";
import { DEFAULT_PROJECTION, parseProjection } from "./projection-config";

describe("VECTOR_PROJECTION", () => {
  it("defaults when unset, turns off with off, and overrides only what it names", () => {
    expect(parseProjection(undefined)).toEqual(DEFAULT_PROJECTION);
    expect(parseProjection("")).toEqual(DEFAULT_PROJECTION);
    expect(parseProjection("off")).toBeNull();
    expect(parseProjection("image=64, min=0")).toEqual({ ...DEFAULT_PROJECTION, image: 64, minProducts: 0 });
    expect(parseProjection("photos=0")).toEqual({ ...DEFAULT_PROJECTION, photos: 0 });
  });

  it("refuses what it cannot read, naming the variable", () => {
    for (const bad of ["image", "image=", "image=-1", "image=1.5", "colour=8", "image=8=9", "on,off"]) {
      expect(() => parseProjection(bad)).toThrow(/VECTOR_PROJECTION/);
    }
  });
});
