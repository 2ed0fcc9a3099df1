import { describe, expect, it } from "vitest";
import { blendedScore, cosinesFrom, rerank } from "./weights-preview";

describe("weights preview", () => {
  it("recovers cosines from weighted contributions", () => {
    expect(cosinesFrom({ image: 0.3, color: 0.15, text: 0 }, { image: 0.6, color: 0.15, text: 0 })).toEqual({ image: 0.5, color: 1, text: null });
  });
  it("re-ranks by the merchant's weights", () => {
    const a = { id: "a", cos: { image: 0.9, color: 0.1, text: 0.1 } };
    const b = { id: "b", cos: { image: 0.2, color: 0.95, text: 0.9 } };
    expect(rerank([a, b], { image: 1, color: 0, text: 0 }, 2).map((x) => x.id)).toEqual(["a", "b"]);
    expect(rerank([a, b], { image: 0.1, color: 0.5, text: 0.4 }, 2).map((x) => x.id)).toEqual(["b", "a"]);
    expect(blendedScore(a.cos, { image: 0, color: 0, text: 0 })).toBe(0);
  });
});
