/** One name for the block and one for the demo shop, wherever a merchant or a shopper reads them. */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEMO_SHOP_NAME } from "../demo/demo-shop-name";
import { renderProductPage } from "./render-product-page.server";

const ROOT = path.resolve(__dirname, "../..");
const read = (p: string) => readFileSync(path.join(ROOT, p), "utf8");

describe("one name", () => {
  it("the similar-products block is 'Similar products' in the theme editor, on the store and in the admin", async () => {
    const schema = JSON.parse(read("extensions/lookalike-blocks/locales/en.default.schema.json"));
    const strings = JSON.parse(read("extensions/lookalike-blocks/locales/en.default.json"));
    expect(schema.blocks.similar_products.name).toBe("Similar products");
    expect(strings.similar.heading).toBe("Similar products");
    const html = await renderProductPage({ shopName: DEMO_SHOP_NAME, product: { id: "1", handle: "h", title: "T", price: "1.00", currency: "USD", image: null }, proxyPath: "/apps/lookalike", assetBaseUrl: "/a" });
    expect(html).toContain(">Similar products</h2>");
    expect(html).not.toMatch(/you may also like/i);
    expect(read("app/routes/app.preview.tsx")).toContain('"Similar products"');
  });

  it("the demo shop has one name: its product pages, its catalog page and its Shop row", () => {
    for (const file of ["app/routes/demo.products.$handle.ts", "app/routes/demo._index.ts", "app/demo/demo-shop.server.ts"]) {
      expect(read(file), file).toContain("DEMO_SHOP_NAME");
    }
    const other = /Lookalike demo shop|Lookalike Demo Store/;
    const routes = readdirSync(path.join(ROOT, "app/routes")).filter((f) => f.startsWith("demo"));
    for (const f of routes) expect(read(`app/routes/${f}`), f).not.toMatch(other);
  });
});
