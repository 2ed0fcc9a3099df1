import { describe, expect, it } from "vitest";
import { cardFromRow } from "../live-index/product-card";
import type { LiveCard } from "../live-index/live-catalog";
import { DEFAULT_SETTINGS } from "../shops/shop-settings";
import { toCards } from "./cards";

const row = (id: string, imageUrls: string[], variants: unknown[], available = true) =>
  cardFromRow({
    id,
    handle: `h${id}`,
    title: `T${id}`,
    priceText: "10.00",
    currency: "EUR",
    imageUrls: JSON.stringify(imageUrls),
    onlineStoreUrl: null,
    available,
    variants: JSON.stringify(variants),
  });

const shirt = row(
  "1",
  ["https://cdn/front.jpg", "https://cdn/red.jpg", "https://cdn/blue.jpg"],
  [
    { id: "11", price: "12.00", available: true, photo: 1 },
    { id: "12", price: "14.00", available: false, photo: 2 },
  ],
);
const plain = row("2", ["https://cdn/plain.jpg"], [{ id: "21", price: "10.00", available: true, photo: -1 }]);
const imported = row("3", ["file:///data/a.jpg", "file:///data/b.jpg"], [{ id: "31", price: "9.00", available: true, photo: 1 }]);
const catalog = (hideOutOfStock: boolean) => ({
  cards: new Map<string, LiveCard>([shirt, plain, imported].map((c) => [c.id, c])),
  settings: { ...DEFAULT_SETTINGS, hideOutOfStock },
});
const hit = (id: string, photo?: number) => ({ id, score: 0.123456, contributions: { image: 0.123456, color: 0, text: 0 }, photo });

describe("toCards", () => {
  it("a photo hit on a variant's photo shows that variant: its photo, ?variant= link, price and availability", () => {
    const [card] = toCards(catalog(false), [hit("1", 1)], "/apps/x");
    expect(card).toEqual({
      id: "1",
      handle: "h1",
      title: "T1",
      price: "12.00",
      currency: "EUR",
      image: "https://cdn/red.jpg",
      url: "/products/h1?variant=11",
      variantId: "11",
      available: true,
      score: 0.1235,
    });
  });

  it("a sold-out variant's photo: shown as sold out, or — with hide out of stock — the available variant instead", () => {
    expect(toCards(catalog(false), [hit("1", 2)], "")[0]).toMatchObject({ image: "https://cdn/blue.jpg", variantId: "12", price: "14.00", available: false });
    expect(toCards(catalog(true), [hit("1", 2)], "")[0]).toMatchObject({
      image: "https://cdn/red.jpg",
      url: "/products/h1?variant=11",
      variantId: "11",
      price: "12.00",
      available: true,
    });
  });

  it("a photo of no variant (and similar products' featured photo here) keeps the product's own card", () => {
    expect(toCards(catalog(true), [hit("1", 0)], "")[0]).toMatchObject({ image: "https://cdn/front.jpg", url: "/products/h1", variantId: null, price: "10.00" });
    expect(toCards(catalog(true), [hit("1")], "")[0]).toMatchObject({ variantId: null });
    // A catalog without variant photos keeps no variants in memory.
    expect(plain.variants).toBeUndefined();
    expect(toCards(catalog(false), [hit("2", 0)], "")[0]).toMatchObject({ url: "/products/h2", variantId: null, available: true });
  });

  it("an operator-imported variant photo is served under the proxy path with ?photo=n", () => {
    expect(toCards(catalog(false), [hit("3", 1)], "/apps/x")[0]).toMatchObject({ image: "/apps/x/images/3?photo=1", variantId: "31" });
    expect(toCards(catalog(false), [hit("3", 0)], "/apps/x")[0]).toMatchObject({ image: "/apps/x/images/3", variantId: null });
  });

  it("stored variants pointing past the stored photos are dropped", () => {
    const c = row("4", ["https://cdn/a.jpg"], [{ id: "41", price: "1.00", available: true, photo: 3 }]);
    expect(c.variants).toBeUndefined();
  });
});
