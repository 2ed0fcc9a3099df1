import { describe, expect, it } from "vitest";
import { packVectors, toBytes } from "../embedding/vector-codec";
import { imageVectorKey } from "../embedding/vector-versions";
import type { IndexSpec } from "./index-spec";
import { indexedProduct, type IndexedRow } from "./row-vectors";

const spec: IndexSpec = {
  imageModelId: "m",
  imageDim: 2,
  textModelId: "hashed",
  textDim: 4,
  weights: { image: 1, color: 0, text: 0 },
  graph: { M: 8, efConstruction: 50 },
} as IndexSpec;
const unit = (a: number, b: number) => Float32Array.from([a, b].map((x) => x / Math.hypot(a, b)));
const photos = [unit(1, 0), unit(0, 1)];

const row = (over: Partial<IndexedRow> = {}): IndexedRow => ({
  id: "1",
  handle: "h",
  title: "T",
  priceText: "10.00",
  currency: "USD",
  onlineStoreUrl: null,
  available: true,
  imageUrls: JSON.stringify(["https://cdn/a.jpg", "https://cdn/red.jpg"]),
  variants: JSON.stringify([{ id: "11", price: "12.00", available: true, photo: 1 }]),
  price: 10,
  productType: "",
  vendor: "",
  tags: "[]",
  modelId: "m",
  imageVector: toBytes(unit(1, 1)),
  imageVectors: packVectors(photos),
  colorVector: null,
  textVector: null,
  vectorTextHash: null,
  imageHash: "abc",
  vectorImageHash: imageVectorKey("abc"),
  ...over,
});
const stats = { imageMean: null, facets: { values: new Map() } } as unknown as Parameters<typeof indexedProduct>[2];

describe("indexedProduct", () => {
  it("keeps the variants when the per-photo vectors are of the stored photos", () => {
    const p = indexedProduct(spec, row(), stats);
    expect(p.photos).toHaveLength(2);
    expect(p.card.variants).toEqual([{ id: "11", price: "12.00", available: true, photo: 1 }]);
  });

  it("drops them while the vectors are of other photos (not yet re-embedded) or a photo was skipped", () => {
    expect(indexedProduct(spec, row({ vectorImageHash: imageVectorKey("older") }), stats).card.variants).toBeUndefined();
    expect(indexedProduct(spec, row({ imageVectors: packVectors([photos[0]]) }), stats).card.variants).toBeUndefined();
  });
});
