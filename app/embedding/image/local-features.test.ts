import { describe, expect, it } from "vitest";
import { CHANNELS, encodeLocal, LOCAL_BYTES, localMatch, packLocal, REGIONS, unpackLocal } from "./local-features";

/** A model output (channel-major) whose region r has feature vector f(r). */
function output(f: (r: number) => number[]): Float32Array {
  const out = new Float32Array(LOCAL_BYTES);
  for (let r = 0; r < REGIONS; r++) f(r).forEach((x, c) => (out[c * REGIONS + r] = x));
  return out;
}
const onehot = (c: number, scale = 1) => Array.from({ length: CHANNELS }, (_, i) => (i === c ? scale : 0));

describe("local features", () => {
  it("encodes each region as a unit vector at ±127, region-major; empty regions stay zero", () => {
    const enc = encodeLocal(output((r) => (r === 0 ? [] : onehot(r % CHANNELS, 3.5))));
    expect(enc).toHaveLength(LOCAL_BYTES);
    expect(Array.from(enc.subarray(0, CHANNELS)).every((x) => x === 0)).toBe(true);
    expect(enc[1 * CHANNELS + 1]).toBe(127);
    expect(() => encodeLocal(new Float32Array(10))).toThrow(RangeError);
  });

  it("matches a photo with itself at 1, with a shuffled grid (same parts elsewhere) at 1, with other parts at 0", () => {
    const a = encodeLocal(output((r) => onehot(r % 20)));
    const shifted = encodeLocal(output((r) => onehot((r + 7) % 20)));
    const other = encodeLocal(output((r) => onehot(40 + (r % 20))));
    expect(localMatch(a, a)).toBeCloseTo(1, 6);
    expect(localMatch(a, shifted)).toBeCloseTo(1, 6);
    expect(localMatch(a, other)).toBe(0);
    // Half of the query's parts found: 0.5.
    const half = encodeLocal(output((r) => onehot(r % 2 === 0 ? 0 : 50)));
    const onlyFirst = encodeLocal(output(() => onehot(0)));
    expect(localMatch(half, onlyFirst)).toBeCloseTo(Math.ceil(REGIONS / 2) / REGIONS, 6);
  });

  it("a query without active regions matches nothing", () => {
    expect(localMatch(new Int8Array(LOCAL_BYTES), encodeLocal(output(() => onehot(1))))).toBe(0);
  });

  it("packs and unpacks several photos; refuses a blob of the wrong size", () => {
    const p = [encodeLocal(output(() => onehot(1))), encodeLocal(output(() => onehot(2)))];
    const back = unpackLocal(packLocal(p));
    expect(back.map((x) => Array.from(x))).toEqual(p.map((x) => Array.from(x)));
    expect(() => unpackLocal(new Uint8Array(LOCAL_BYTES + 1))).toThrow(RangeError);
  });
});
