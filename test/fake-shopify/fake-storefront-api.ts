/**
 * A local fake of Shopify's Storefront API (GraphQL, tokenless), as a real HTTP server, for the demo
 * and the browser tests — the blocks' market data comes from here where Shopify cannot be reached.
 * - `POST /api/<version>/graphql.json` with `{ query, variables }`: the one query shape the blocks
 *   send, `nodes(ids:)` with `... on Product` and `... on ProductVariant`, under
 *   `@inContext(country: $c, language: $l)`; unknown ids answer `null`, as Shopify does.
 * - Two markets: US (USD, the base prices) and FR (EUR, its own price list, some products on sale
 *   there only); two languages: EN and FR (French titles and handles). A country or language the
 *   shop does not have falls back to the default (US, EN), as Shopify does; the context it used is
 *   in `extensions.context`.
 * - Records every request (`requests`) so tests can count them.
 */
import { readFileSync } from "node:fs";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export const STOREFRONT_API_VERSION = "2026-10";
export const STOREFRONT_API_PATH = `/api/${STOREFRONT_API_VERSION}/graphql.json`;

export interface FakeVariant {
  /** Numeric id. */
  id: string;
  /** Decimal string in the base currency (USD). */
  price: string;
}

export interface FakeProduct {
  /** Numeric id. */
  id: string;
  handle: string;
  title: string;
  /** Decimal string in the base currency (USD): the cheapest variant's. */
  price: string;
  variants?: FakeVariant[];
}

export interface Market {
  country: string;
  currency: string;
}

export const MARKETS: Market[] = [
  { country: "US", currency: "USD" },
  { country: "FR", currency: "EUR" },
];
export const LANGUAGES = ["EN", "FR"] as const;

interface Money {
  amount: string;
  currencyCode: string;
}

export interface RecordedRequest {
  country: string | null;
  language: string | null;
  ids: string[];
}

const WORDS: [RegExp, string][] = [
  [/\bHoodie\b/gi, "Sweat à capuche"],
  [/\bSweatshirt\b/gi, "Pull"],
  [/\bJacket\b/gi, "Veste"],
  [/\bTee\b/gi, "T-shirt"],
  [/\bTank\b/gi, "Débardeur"],
  [/\bPants?\b/gi, "Pantalon"],
  [/\bShorts?\b/gi, "Short"],
  [/\bBag\b/gi, "Sac"],
  [/\bBra\b/gi, "Brassière"],
  [/\bShirt\b/gi, "Chemise"],
  [/\bWatch\b/gi, "Montre"],
  [/\bBottle\b/gi, "Gourde"],
];

/** The French title: a few garment words translated, and always marked so a test can tell it apart. */
export function frenchTitle(title: string): string {
  let out = title;
  for (const [re, fr] of WORDS) out = out.replace(re, fr);
  return `${out} (FR)`;
}

export function frenchHandle(handle: string): string {
  return `fr-${handle}`;
}

/** The FR market's price list: its own round euro prices (not a conversion of the USD price). */
export function eurPrice(usd: string): string {
  const n = Number(usd);
  return (Math.max(1, Math.round(n * 0.9)) - 0.05).toFixed(2);
}

/** Every third product is on sale in France: its compare-at price there is the list price + 20 %. */
export function eurCompareAt(product: FakeProduct, index: number): string | null {
  return index % 3 === 0 ? (Number(eurPrice(product.price)) * 1.2).toFixed(2) : null;
}

const gid = (type: string, id: string) => `gid://shopify/${type}/${id}`;

export class FakeStorefrontApi {
  private server?: Server;
  private readonly products = new Map<string, { p: FakeProduct; index: number }>();
  private readonly variants = new Map<string, { v: FakeVariant; p: FakeProduct; index: number }>();
  baseUrl = "";
  readonly requests: RecordedRequest[] = [];

  constructor(products: FakeProduct[]) {
    products.forEach((p, index) => {
      this.products.set(gid("Product", p.id), { p, index });
      for (const v of p.variants ?? []) this.variants.set(gid("ProductVariant", v.id), { v, p, index });
    });
  }

  /** From a catalog file of Admin API Product nodes (one per line, as the import and the Admin fake read). */
  static fromCatalogFile(file: string): FakeStorefrontApi {
    const products: FakeProduct[] = [];
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (!line.trim()) continue;
      const n = JSON.parse(line) as {
        id: string;
        handle: string;
        title: string;
        priceRangeV2?: { minVariantPrice?: { amount?: string } };
        variants?: { nodes?: { id: string; price?: string }[] } | { id: string; price?: string }[];
      };
      const raw = Array.isArray(n.variants) ? n.variants : (n.variants?.nodes ?? []);
      const variants = raw.map((v) => ({ id: String(v.id).split("/").pop()!, price: String(v.price ?? "0") }));
      const price = n.priceRangeV2?.minVariantPrice?.amount ?? variants[0]?.price ?? "0";
      products.push({ id: String(n.id).split("/").pop()!, handle: n.handle, title: n.title, price: String(price), variants });
    }
    return new FakeStorefrontApi(products);
  }

  /** The endpoint the blocks post to. */
  get url(): string {
    return `${this.baseUrl}${STOREFRONT_API_PATH}`;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res).catch((err) => this.send(res, 500, { errors: [{ message: String(err) }] })));
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  /** What a shopper in `country` reading `language` is shown for a product (the fake's truth, for tests). */
  productIn(id: string, country: string, language: string): { title: string; handle: string; price: Money; compareAtPrice: Money | null } | null {
    const hit = this.products.get(gid("Product", id));
    if (!hit) return null;
    const { market, lang } = this.context(country, language);
    const fr = lang === "FR";
    return {
      title: fr ? frenchTitle(hit.p.title) : hit.p.title,
      handle: fr ? frenchHandle(hit.p.handle) : hit.p.handle,
      price: this.money(hit.p.price, market),
      compareAtPrice: this.compareAt(hit.p, hit.index, market),
    };
  }

  variantIn(id: string, country: string): { price: Money; productId: string } | null {
    const hit = this.variants.get(gid("ProductVariant", id));
    if (!hit) return null;
    return { price: this.money(hit.v.price, this.context(country, "EN").market), productId: hit.p.id };
  }

  private context(country: string | null, language: string | null): { market: Market; lang: string } {
    const market = MARKETS.find((m) => m.country === country) ?? MARKETS[0];
    const lang = (LANGUAGES as readonly string[]).includes(language ?? "") ? language! : "EN";
    return { market, lang };
  }

  private money(usd: string, market: Market): Money {
    return { amount: market.currency === "EUR" ? eurPrice(usd) : Number(usd).toFixed(2), currencyCode: market.currency };
  }

  private compareAt(p: FakeProduct, index: number, market: Market): Money | null {
    if (market.currency !== "EUR") return null;
    const c = eurCompareAt(p, index);
    return c ? { amount: c, currencyCode: "EUR" } : null;
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { "content-type": "application/json", "access-control-allow-origin": "*" });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    if (req.method === "OPTIONS") {
      res.writeHead(204, { "access-control-allow-origin": "*", "access-control-allow-methods": "POST", "access-control-allow-headers": "content-type, accept" });
      return void res.end();
    }
    if (!/^\/api\/\d{4}-\d{2}\/graphql\.json$/.test(url.pathname)) return this.send(res, 404, { errors: [{ message: "Not Found" }] });
    if (req.method !== "POST") return this.send(res, 405, { errors: [{ message: "POST only" }] });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: { query?: unknown; variables?: Record<string, unknown> };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return this.send(res, 400, { errors: [{ message: "Invalid JSON" }] });
    }
    const query = typeof body.query === "string" ? body.query : "";
    const vars = body.variables ?? {};
    const ids = Array.isArray(vars.ids) ? vars.ids.map(String) : null;
    // The one shape the blocks send; anything else is a bug in them, answered as Shopify answers a bad query.
    if (!/nodes\(ids:\s*\$ids\)/.test(query) || !/\.\.\.\s*on Product\b/.test(query) || !ids) {
      return this.send(res, 200, { errors: [{ message: "fake Storefront API: only nodes(ids: $ids) with ... on Product is served" }] });
    }
    // @inContext(country: …, language: …): each a variable ($c) or an enum literal (FR).
    const directive = query.match(/@inContext\(([^)]*)\)/)?.[1] ?? "";
    const context: Record<"country" | "language", string | null> = { country: null, language: null };
    for (const [name, re, type] of [
      ["country", /^[A-Z]{2}$/, "CountryCode"],
      ["language", /^[A-Z]{2}(_[A-Z]{2})?$/, "LanguageCode"],
    ] as const) {
      const arg = directive.match(new RegExp(`${name}:\\s*(\\$\\w+|[A-Z_]+)`))?.[1];
      if (!arg) continue;
      const v = arg.startsWith("$") ? vars[arg.slice(1)] : arg;
      if (typeof v !== "string" || !re.test(v)) {
        return this.send(res, 200, { errors: [{ message: `Argument ${name} of @inContext: ${type} was provided invalid value ${JSON.stringify(v ?? null)}` }] });
      }
      context[name] = v;
    }
    const { country, language } = context;
    this.requests.push({ country, language, ids });
    const { market, lang } = this.context(country, language);
    const nodes = ids.map((id) => {
      const prod = this.products.get(id);
      if (prod) {
        const local = this.productIn(prod.p.id, market.country, lang)!;
        return {
          id,
          handle: local.handle,
          title: local.title,
          priceRange: { minVariantPrice: local.price },
          // Shopify answers 0.0 where no variant has a compare-at price.
          compareAtPriceRange: { minVariantPrice: local.compareAtPrice ?? { amount: "0.0", currencyCode: market.currency } },
        };
      }
      const variant = this.variants.get(id);
      if (variant) {
        return {
          id,
          product: { id: gid("Product", variant.p.id) },
          price: this.money(variant.v.price, market),
          compareAtPrice: null,
        };
      }
      return null;
    });
    this.send(res, 200, { data: { nodes }, extensions: { context: { country: market.country, language: lang } } });
  }
}
