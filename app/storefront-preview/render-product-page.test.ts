import { describe, expect, it } from "vitest";
import { renderProductPage, type RenderProductPageOptions } from "./render-product-page.server";

const base: RenderProductPageOptions = {
  shopName: "Maison Lumen",
  product: {
    id: "gid://shopify/Product/7001",
    handle: "linen-tote",
    title: "Linen Tote Bag",
    price: "48.00",
    currency: "EUR",
    image: "https://cdn.shopify.com/s/files/1/0001/products/tote.jpg",
    description: "Sturdy washed linen.\n\nMade in Portugal.",
  },
  proxyPath: "/apps/lookalike",
  assetBaseUrl: "/ext-assets",
};

function attr(html: string, selector: string, name: string): string | undefined {
  const tag = html.match(new RegExp(`<[^>]*${selector}[^>]*>`, "s"))?.[0];
  return tag?.match(new RegExp(`${name}="([^"]*)"`))?.[1];
}

describe("renderProductPage", () => {
  it("renders the store page with all blocks by default", async () => {
    const html = await renderProductPage(base);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("<h1 class=\"product__title\">Linen Tote Bag</h1>");
    expect(html).toContain("data-lookalike-similar");
    expect(html).toContain("data-lookalike-photo-open");
    expect(html).toContain("lookalike-launcher");
    expect(html).toContain('src="/ext-assets/lookalike-similar.js" defer');
    expect(html).toContain('src="/ext-assets/lookalike-photo-search.js" defer');
    expect(html).toContain('href="/ext-assets/lookalike.css"');
  });

  it("renders the same page without any block when flags are false", async () => {
    const html = await renderProductPage({ ...base, blocks: { similar: false, photoSearch: false, launcher: false } });
    expect(html).toContain("<h1 class=\"product__title\">Linen Tote Bag</h1>");
    expect(html).not.toContain("lookalike");
    expect(html).not.toContain("/ext-assets/");
  });

  it("renders blocks individually", async () => {
    const only = await renderProductPage({ ...base, blocks: { similar: true, photoSearch: false, launcher: false } });
    expect(only).toContain("data-lookalike-similar");
    expect(only).not.toContain("data-lookalike-photo-open");
  });

  it("carries product id, no limit of its own (the shop's applies) and proxy path on the similar block", async () => {
    const html = await renderProductPage(base);
    expect(attr(html, "data-lookalike-similar", "data-product-id")).toBe("7001");
    expect(attr(html, "data-lookalike-similar", "data-limit")).toBe(""); // blank: the shop's "Number of results" applies
    expect(attr(html, "data-lookalike-similar", "data-proxy-path")).toBe("/apps/lookalike");
    expect(attr(html, "data-lookalike-similar", "data-currency")).toBe("EUR");
    // skeleton reserves one card per requested product
    expect(html.match(/lookalike__card--skeleton/g)?.length).toBe(4);
    expect(attr(html, "lookalike-photo-block[^>]*>\\s*<button", "data-proxy-path")).toBe("/apps/lookalike");
  });

  it("gives every block the shopper's market, language, root URL and the Storefront API endpoint (Shopify's same-origin path by default)", async () => {
    const plain = await renderProductPage(base);
    expect(attr(plain, "data-lookalike-similar", "data-storefront-api")).toBe("/api/2026-10/graphql.json");
    expect(attr(plain, "data-lookalike-similar", "data-root")).toBe("/");
    const html = await renderProductPage({ ...base, locale: "fr", rootUrl: "/fr", market: { country: "FR", currency: "EUR" }, storefrontApi: "http://127.0.0.1:9/api/2026-10/graphql.json" });
    for (const scope of ["data-lookalike-similar", "lookalike-photo-block[^>]*>\\s*<button", "lookalike-launcher[^>]*>\\s*<button"]) {
      expect(attr(html, scope, "data-country")).toBe("FR");
      expect(attr(html, scope, "data-language")).toBe("fr");
      expect(attr(html, scope, "data-currency")).toBe("EUR");
      expect(attr(html, scope, "data-root")).toBe("/fr");
      expect(attr(html, scope, "data-storefront-api")).toBe("http://127.0.0.1:9/api/2026-10/graphql.json");
      // Liquid puts the locale prefix before the proxy path, as on Shopify.
      expect(attr(html, scope, "data-proxy-path")).toBe("/fr/apps/lookalike");
    }
  });

  it("renders a country/region switch (the market) and language links when asked", async () => {
    const html = await renderProductPage({
      ...base,
      market: { country: "FR", currency: "EUR" },
      localization: {
        countries: [{ code: "US", name: "United States" }, { code: "FR", name: "France" }],
        languages: [{ code: "en", name: "English", href: "/products/linen-tote" }, { code: "fr", name: "Français", href: "/fr/products/linen-tote" }],
      },
    });
    expect(html).toContain('<option value="FR" selected>France</option>');
    expect(html).toContain('<label for="localization-country">Country/region</label>');
    expect(html).toContain('href="/fr/products/linen-tote" hreflang="fr"');
    expect(await renderProductPage(base)).not.toContain("localization-country");
  });

  it("uses the app metafield proxy path and block setting overrides", async () => {
    const html = await renderProductPage({
      ...base,
      proxyPath: "/apps/visual",
      blockSettings: { similar: { results_count: 8, columns_desktop: 3, image_ratio: "portrait", heading: "Complete the look" } },
    });
    expect(attr(html, "data-lookalike-similar", "data-proxy-path")).toBe("/apps/visual");
    expect(attr(html, "data-lookalike-similar", "data-limit")).toBe("8");
    expect(html).toContain("--lookalike-columns: 3;");
    expect(html).toContain("lookalike--ratio-portrait");
    expect(html).toContain(">Complete the look</h2>");
  });

  it("takes storefront strings from the chosen locale", async () => {
    const en = await renderProductPage({ ...base, locale: "en" });
    const fr = await renderProductPage({ ...base, locale: "fr" });
    expect(en).toContain('<html lang="en">');
    expect(fr).toContain('<html lang="fr">');
    expect(en).toContain(">Similar products</h2>");
    expect(fr).toContain(">Produits similaires</h2>");
    expect(en).toContain("Search by photo");
    expect(fr).toContain("Rechercher par photo");
    expect(fr).not.toContain("Similar products");
    expect(en).not.toContain("translation missing");
    expect(fr).not.toContain("translation missing");
    // JS strings are a valid JSON data block, localised
    const json = fr.match(/<script type="application\/json" data-lookalike-photo-strings>([\s\S]*?)<\/script>/)?.[1];
    expect(json).toBeTruthy();
    const strings = JSON.parse(json!);
    expect(strings.title).toBe("Recherche par photo");
    expect(strings.moreLikeThis).toBe("Articles similaires");
  });

  it("does not leak {% schema %} or other raw tags", async () => {
    const html = await renderProductPage(base);
    expect(html).not.toMatch(/\{%|\{\{|endschema/);
    expect(html).not.toContain('"target"');
    expect(html).not.toContain('"settings"');
    expect(html).not.toContain("t:blocks.");
    expect(html).not.toContain("autofill");
  });

  it("escapes merchant/product text", async () => {
    const html = await renderProductPage({ ...base, product: { ...base.product, title: 'Tote <script>alert("x")</script>' } });
    expect(html).not.toContain('<script>alert("x")</script>');
    expect(html).toContain("Tote &lt;script&gt;");
  });
});
