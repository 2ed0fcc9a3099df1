import { describe, expect, it } from "vitest";
import type { Db } from "../db.server";
import { catalogChanged, catalogGone } from "./catalog-changed.server";
import { catalogChannel } from "./catalog-events.server";

/** A Db whose only use here is the shop's version bump (product-repository's bumpCatalogVersion). */
function fakeDb(version: number): Db {
  return { shop: { update: async () => ({ catalogVersion: version }), upsert: async () => ({ catalogVersion: version }) } } as unknown as Db;
}

describe("catalogChanged", () => {
  it("bumps the version, publishes it, and returns it; a failed publish is dropped; no publisher: the bump alone", async () => {
    const sent: [string, { shop: string; version: number }][] = [];
    const publisher = { publish: async (channel: string, message: string) => (sent.push([channel, JSON.parse(message)]), 1) };
    expect(await catalogChanged({ db: fakeDb(7), publisher }, "a.myshopify.com")).toBe(7);
    expect(sent).toEqual([[catalogChannel(), expect.objectContaining({ shop: "a.myshopify.com", version: 7 })]]);
    const failing = { publish: async () => Promise.reject(new Error("redis down")) };
    expect(await catalogChanged({ db: fakeDb(8), publisher: failing }, "a.myshopify.com")).toBe(8);
    expect(await catalogChanged({ db: fakeDb(9), publisher: null }, "a.myshopify.com")).toBe(9);
  });

  it("catalogGone publishes version -1 (the shop's data is gone)", async () => {
    const sent: { shop: string; version: number }[] = [];
    await catalogGone({ publisher: { publish: async (_c: string, m: string) => (sent.push(JSON.parse(m)), 1) } }, "b.myshopify.com");
    expect(sent).toEqual([expect.objectContaining({ shop: "b.myshopify.com", version: -1 })]);
  });
});
