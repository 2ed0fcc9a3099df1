import { describe, expect, it } from "vitest";
import { dot, fromBytes, l2normalize, packVectors, toBytes, unpackVectors } from "./vector-codec";

describe("vector-codec", () => {
  it("round-trips float32 through little-endian bytes", () => {
    const v = new Float32Array([1.5, -2.25, 3e-8, Number.MAX_VALUE > 1 ? 123456.789 : 0, -0]);
    const b = toBytes(v);
    expect(b.length).toBe(20);
    expect(new DataView(b.buffer).getFloat32(0, true)).toBe(1.5);
    expect(Array.from(fromBytes(b))).toEqual(Array.from(v));
  });

  it("decodes from an unaligned view and copies", () => {
    const v = new Float32Array([0.1, 0.2, 0.3]);
    const bytes = toBytes(v);
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 1);
    const view = big.subarray(1, 1 + bytes.length); // byteOffset 1: not 4-aligned
    const out = fromBytes(view);
    expect(Array.from(out)).toEqual(Array.from(v));
    big.fill(0);
    expect(out[0]).toBeCloseTo(0.1, 6);
  });

  it("rejects a byte length that is not a multiple of 4", () => {
    expect(() => fromBytes(new Uint8Array(5))).toThrow(RangeError);
  });

  it("normalises, keeps zero vectors zero, and dots", () => {
    const n = l2normalize([3, 4]);
    expect(n[0]).toBeCloseTo(0.6);
    expect(n[1]).toBeCloseTo(0.8);
    expect(dot(n, n)).toBeCloseTo(1);
    expect(Array.from(l2normalize([0, 0, 0]))).toEqual([0, 0, 0]);
    expect(() => dot([1], [1, 2])).toThrow(RangeError);
  });

  it("packs several vectors into one byte string and back, and rejects a wrong dimension", () => {
    const vs = [new Float32Array([1, 0, 0]), new Float32Array([0, 0.6, 0.8])];
    const bytes = packVectors(vs);
    expect(bytes.byteLength).toBe(24);
    expect(unpackVectors(bytes, 3).map((v) => Array.from(v))).toEqual([[1, 0, 0], [0, expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)]]);
    expect(() => unpackVectors(bytes, 5)).toThrow(RangeError);
    expect(() => packVectors([new Float32Array(3), new Float32Array(2)])).toThrow(RangeError);
  });
});
