import { describe, expect, it } from "vitest";
import { photoMatch } from "./preview.server";

describe("photoMatch (admin photo preview)", () => {
  it("scores a photo hit 0–1 and shares only the photo's own channels, never text", () => {
    // A ranked hit after the local gain and feedback: score 2.31, a text share of the feedback term.
    const ranked = { score: 2.31, contributions: { image: 1.78, color: 0, text: 0.53 } };
    const first = { score: 0.78, contributions: { image: 0.78, color: 0, text: 0 } };
    expect(photoMatch(first)).toEqual({ score: 0.78, why: { image: 1, color: 0, text: 0 } });
    const fromRanked = photoMatch(ranked);
    expect(fromRanked.score).toBeLessThanOrEqual(1);
    expect(fromRanked.why.text).toBe(0);
    expect(photoMatch({ score: -0.2, contributions: { image: -0.2, color: 0, text: 0 } }).score).toBe(0);
  });
});
