import { describe, expect, it } from "vitest";
import { assembleBulkProducts, type BulkItem } from "./bulk-products";
import { parseProductNode } from "./product-node";

async function* from(lines: string[]) {
  yield* lines;
}
async function collect(lines: string[]): Promise<BulkItem[]> {
  const out: BulkItem[] = [];
  for await (const item of assembleBulkProducts(from(lines))) out.push(item);
  return out;
}

const product = (n: number) => JSON.stringify({ id: `gid://shopify/Product/${n}`, title: `P${n}`, updatedAt: "2026-01-01T00:00:00Z" });
const media = (n: number, m: number) => JSON.stringify({ id: `gid://shopify/MediaImage/${n}${m}`, image: { url: `https://cdn.shopify.com/${n}-${m}.jpg` }, __parentId: `gid://shopify/Product/${n}` });
const variant = (n: number, price: string) => JSON.stringify({ id: `gid://shopify/ProductVariant/${n}1`, price, availableForSale: true, __parentId: `gid://shopify/Product/${n}` });

describe("assembleBulkProducts", () => {
  it("joins child rows to their product by __parentId, in Shopify's order", async () => {
    const items = await collect([product(1), media(1, 0), media(1, 1), variant(1, "9.50"), product(2), variant(2, "3.00")]);
    expect(items.map((i) => i.kind)).toEqual(["product", "product"]);
    const first = parseProductNode((items[0] as Extract<BulkItem, { kind: "product" }>).product.node);
    expect(first.imageUrls).toEqual(["https://cdn.shopify.com/1-0.jpg", "https://cdn.shopify.com/1-1.jpg"]);
    expect(first.price).toBe(9.5);
    const second = parseProductNode((items[1] as Extract<BulkItem, { kind: "product" }>).product.node);
    expect(second.imageUrls).toEqual([]);
  });

  it("reports bad lines and orphan children with their line number instead of failing", async () => {
    const items = await collect([product(1), "{not json", variant(3, "1.00"), product(2)]);
    expect(items.filter((i) => i.kind === "issue").map((i) => (i.kind === "issue" ? i.issue.line : 0))).toEqual([2, 3]);
    expect(items.filter((i) => i.kind === "product")).toHaveLength(2);
  });

  it("streams 200k lines in bounded memory", async () => {
    async function* big() {
      for (let n = 1; n <= 50_000; n++) {
        yield product(n);
        yield media(n, 0);
        yield media(n, 1);
        yield variant(n, "5.00");
      }
    }
    const before = process.memoryUsage().heapUsed;
    let count = 0;
    let peak = 0;
    for await (const item of assembleBulkProducts(big())) {
      if (item.kind === "product") count++;
      if (count % 5_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - before);
    }
    expect(count).toBe(50_000);
    // Holding every product would take well over 100 MB; one at a time stays small.
    expect(peak).toBeLessThan(60 * 1024 * 1024);
  });
});
