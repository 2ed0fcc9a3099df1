import { describe, expect, it } from "vitest";
import { ProxyError } from "./proxy-errors.server";
import { MAX_PHOTO_WORDS, parsePhotoBox, parsePhotoWords } from "./search-params.server";

const params = (p: Record<string, string>) => new URLSearchParams(p);
function refusal(run: () => unknown): ProxyError {
  try {
    run();
  } catch (err) {
    if (err instanceof ProxyError) return err;
    throw err;
  }
  throw new Error("not refused");
}

describe("parsePhotoBox", () => {
  it("takes all four fractions, or none", () => {
    expect(parsePhotoBox(params({}))).toBeUndefined();
    expect(parsePhotoBox(params({ box_x: "0.1", box_y: "0.2", box_w: "0.5", box_h: "0.6" }))).toEqual({ x: 0.1, y: 0.2, w: 0.5, h: 0.6 });
    expect(parsePhotoBox(params({ box_x: "0", box_y: "0", box_w: "1", box_h: "1" }))).toEqual({ x: 0, y: 0, w: 1, h: 1 });
    // Fractions computed in floating point may overshoot 1 by a rounding error: clamped, not refused.
    expect(parsePhotoBox(params({ box_x: "0.1", box_y: "0.7", box_w: "0.9", box_h: "0.30000000000000004" }))!.h).toBeCloseTo(0.3, 12);
  });

  it.each([
    [{ box_x: "0.1" }, "box_y, box_w, box_h missing"],
    [{ box_x: "0.1", box_y: "0.2", box_w: "0.5" }, "box_h missing"],
    [{ box_x: "0.1", box_y: "0.2", box_w: "0.5", box_h: "" }, "box_h missing"],
    [{ box_x: "left", box_y: "0.2", box_w: "0.5", box_h: "0.6" }, "box_x must be a number"],
    [{ box_x: "0.1", box_y: "NaN", box_w: "0.5", box_h: "0.6" }, "box_y must be a number"],
    [{ box_x: "0.1", box_y: "0.2", box_w: "Infinity", box_h: "0.6" }, "box_w must be a number"],
    [{ box_x: "0x1", box_y: "0.2", box_w: "0.5", box_h: "0.6" }, "box_x must be a number"],
    [{ box_x: "-0.1", box_y: "0.2", box_w: "0.5", box_h: "0.6" }, "box_x must be from 0 to 1"],
    [{ box_x: "0.1", box_y: "1.2", box_w: "0.5", box_h: "0.6" }, "box_y must be from 0 to 1"],
    [{ box_x: "0.1", box_y: "0.2", box_w: "0", box_h: "0.6" }, "box_w must be greater than 0"],
    [{ box_x: "0.1", box_y: "0.2", box_w: "0.5", box_h: "-0.6" }, "box_h must be greater than 0"],
    [{ box_x: "0.6", box_y: "0.2", box_w: "0.5", box_h: "0.6" }, "box_x + box_w must be at most 1"],
    [{ box_x: "0.1", box_y: "0.5", box_w: "0.5", box_h: "0.6" }, "box_y + box_h must be at most 1"],
  ])("%o → 400 invalid_box (%s)", (p, message) => {
    const err = refusal(() => parsePhotoBox(params(p)));
    expect(err.status).toBe(400);
    expect(err.code).toBe("invalid_box");
    expect(err.message).toContain(message);
  });
});

describe("parsePhotoWords", () => {
  it("is optional, trimmed, at most 200 characters", () => {
    expect(parsePhotoWords(params({}))).toBeUndefined();
    expect(parsePhotoWords(params({ q: "  " }))).toBeUndefined();
    expect(parsePhotoWords(params({ q: " in red " }))).toBe("in red");
    expect(parsePhotoWords(params({ q: "x".repeat(MAX_PHOTO_WORDS) }))).toHaveLength(MAX_PHOTO_WORDS);
    const err = refusal(() => parsePhotoWords(params({ q: "x".repeat(MAX_PHOTO_WORDS + 1) })));
    expect([err.status, err.code]).toEqual([400, "invalid_query"]);
    expect(err.message).toContain("q may be at most 200");
  });
});
