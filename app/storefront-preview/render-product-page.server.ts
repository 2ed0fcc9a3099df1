/**
 * Storefront preview: renders a store-like product page (a tiny built-in theme) together with the
 * REAL theme-app-extension block files from `extensions/lookalike-blocks/blocks/`, using liquidjs
 * with a Shopify-like context (`product`, `shop`, `block.settings` from the schema defaults,
 * `app.metafields`, `request`, `routes`, and the `t` / `asset_url` / `stylesheet_tag` / … filters).
 *
 * Used by the demo server (`/demo/products/<handle>`) and by tests. Pure function of its inputs:
 * returns the HTML string; serving assets and proxying `{proxyPath}/*` is the caller's job.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Liquid, Tag, TypeGuards, type Context, type Emitter, type TagToken, type TopLevelToken } from "liquidjs";

export type PreviewLocale = "en" | "fr";

export interface PreviewProduct {
  /** Numeric id ("123") or GID ("gid://shopify/Product/123"). */
  id: string;
  handle: string;
  title: string;
  /** Decimal string in shop currency, e.g. "19.99". */
  price: string;
  currency: string;
  image: string | null;
  description?: string;
}

export interface RenderProductPageOptions {
  shopName: string;
  product: PreviewProduct;
  /** App proxy path as seen by the storefront, e.g. "/apps/lookalike". */
  proxyPath: string;
  /** Base URL the extension's `assets/` folder is served from (no trailing slash needed). */
  assetBaseUrl: string;
  locale?: PreviewLocale;
  /** Which Lookalike blocks to render (all default to true). All false = the same page without the app. */
  blocks?: { similar?: boolean; photoSearch?: boolean; launcher?: boolean };
  /** Optional per-block setting overrides (otherwise schema defaults are used, like a freshly added block). */
  blockSettings?: {
    similar?: Record<string, unknown>;
    photoSearch?: Record<string, unknown>;
    launcher?: Record<string, unknown>;
  };
  /** Override the extension directory (defaults to `<repo>/extensions/lookalike-blocks`). */
  extensionDir?: string;
  /**
   * The shopper's market as Shopify's Liquid gives it (`localization.country`, `cart.currency`);
   * defaults to the product's currency in the US. The product's price is taken as this market's.
   */
  market?: { country: string; currency: string };
  /** `routes.root_url`: "/" (default) or a locale prefix such as "/fr", which Liquid puts before the proxy path. */
  rootUrl?: string;
  /** The Storefront API endpoint the blocks ask for market data (`app.metafields.lookalike.storefront_api`); Shopify's same-origin default when unset. */
  storefrontApi?: string;
  /** A country/region switch (a GET form: `?country=`) and language links in the header, as a theme's localization form. */
  localization?: { countries: { code: string; name: string }[]; languages: { code: PreviewLocale; name: string; href: string }[] };
}

type Json = Record<string, unknown>;

const HERE = path.dirname(fileURLToPath(import.meta.url));

function resolveExtensionDir(explicit?: string): string {
  if (explicit) return path.resolve(explicit);
  const candidates = [
    path.resolve(HERE, "../../extensions/lookalike-blocks"),
    path.resolve(process.cwd(), "extensions/lookalike-blocks"),
  ];
  const found = candidates.find((c) => existsSync(path.join(c, "shopify.extension.toml")));
  if (!found) throw new Error(`renderProductPage: extension not found (looked in ${candidates.join(", ")})`);
  return found;
}

/* ------------------------------------------------------------------------------------------------
 * Liquid engine with Shopify-ish tags & filters
 * ---------------------------------------------------------------------------------------------- */

/** `{% schema %}`, `{% stylesheet %}`, `{% javascript %}`: swallow the body, render nothing. */
function swallowingTag(name: string) {
  return class extends Tag {
    constructor(token: TagToken, remainTokens: TopLevelToken[], liquid: Liquid) {
      super(token, remainTokens, liquid);
      const end = `end${name}`;
      while (remainTokens.length) {
        const t = remainTokens.shift();
        if (TypeGuards.isTagToken(t) && t.name === end) return;
      }
      throw new Error(`tag {% ${name} %} not closed`);
    }
    *render(_ctx: Context, _emitter: Emitter): Generator<unknown, void, unknown> {
      // intentionally empty
    }
  };
}

function lookup(dict: Json | undefined, key: string): unknown {
  let cur: unknown = dict;
  for (const part of key.split(".")) {
    if (cur && typeof cur === "object" && part in (cur as Json)) cur = (cur as Json)[part];
    else return undefined;
  }
  return cur;
}

function escapeHtml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** JSON safe to embed in HTML (also inside `<script type="application/json">`). */
function safeJson(value: unknown): string {
  return (JSON.stringify(value) ?? "null")
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function createEngine(extDir: string, strings: Json, fallback: Json, assetBaseUrl: string, currency: string, locale: string) {
  const base = assetBaseUrl.replace(/\/+$/, "");
  const engine = new Liquid({
    root: [path.join(extDir, "snippets")],
    partials: [path.join(extDir, "snippets")],
    extname: ".liquid",
    strictFilters: true, // an unknown filter in a block is a bug: fail loudly in preview/tests
    strictVariables: false,
    ownPropertyOnly: true,
    cache: false,
  });

  for (const name of ["schema", "stylesheet", "javascript"]) engine.registerTag(name, swallowingTag(name));

  // {{ 'key' | t: name: value }} — storefront locale, falling back to en.default
  engine.registerFilter("t", (key: unknown, ...args: unknown[]) => {
    const k = String(key);
    const found = lookup(strings, k) ?? lookup(fallback, k);
    if (typeof found !== "string") return `translation missing: ${locale}.${k}`;
    const vars: Json = {};
    for (const a of args) if (Array.isArray(a) && a.length === 2) vars[String(a[0])] = a[1];
    return found.replace(/\{\{\s*(\w+)\s*\}\}/g, (m, v: string) => (v in vars ? String(vars[v]) : m));
  });
  engine.registerFilter("asset_url", (file: unknown) => `${base}/${String(file).replace(/^\/+/, "")}`);
  engine.registerFilter("asset_img_url", (file: unknown) => `${base}/${String(file).replace(/^\/+/, "")}`);
  engine.registerFilter(
    "stylesheet_tag",
    (url: unknown) => `<link href="${escapeHtml(String(url))}" rel="stylesheet" type="text/css" media="all" />`,
  );
  engine.registerFilter("script_tag", (url: unknown) => `<script src="${escapeHtml(String(url))}" type="text/javascript"></script>`);
  engine.registerFilter("json", (v: unknown) => safeJson(v));
  engine.registerFilter("money", (cents: unknown) => formatMoney(Number(cents) / 100, currency, locale));
  engine.registerFilter("money_with_currency", (cents: unknown) => `${formatMoney(Number(cents) / 100, currency, locale)} ${currency}`);
  engine.registerFilter("image_url", (img: unknown, ...args: unknown[]) => {
    const src = typeof img === "string" ? img : ((img as Json | null)?.src as string | undefined) ?? "";
    const width = args.find((a) => Array.isArray(a) && a[0] === "width") as [string, unknown] | undefined;
    if (!src || !width) return src;
    try {
      const u = new URL(src, "https://preview.invalid");
      u.searchParams.set("width", String(width[1]));
      return src.startsWith("http") ? u.toString() : u.pathname + u.search;
    } catch {
      return src;
    }
  });
  return engine;
}

function formatMoney(amount: number, currency: string, locale: string): string {
  try {
    return new Intl.NumberFormat(locale, { style: "currency", currency }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
}

/* ------------------------------------------------------------------------------------------------
 * Block files
 * ---------------------------------------------------------------------------------------------- */

interface SchemaSetting {
  id?: string;
  type: string;
  default?: unknown;
  min?: number;
  autofill?: boolean;
}

function schemaOf(source: string, file: string): { settings?: SchemaSetting[]; target?: string } {
  const m = source.match(/\{%-?\s*schema\s*-?%\}([\s\S]*?)\{%-?\s*endschema\s*-?%\}/);
  if (!m) throw new Error(`${file}: missing {% schema %}`);
  return JSON.parse(m[1]);
}

/** Settings as a freshly added block would have them: schema defaults, autofilled resources. */
function defaultSettings(schema: { settings?: SchemaSetting[] }, autofill: Json): Json {
  const out: Json = {};
  for (const s of schema.settings ?? []) {
    if (!s.id) continue;
    if (s.default !== undefined) out[s.id] = s.default;
    else if (s.autofill && s.type in autofill) out[s.id] = autofill[s.type];
    else if (s.type === "checkbox") out[s.id] = false;
    else if (s.type === "range" || s.type === "number") out[s.id] = s.min ?? null;
    else out[s.id] = null;
  }
  return out;
}

async function renderBlock(
  engine: Liquid,
  extDir: string,
  file: string,
  blockId: string,
  baseCtx: Json,
  overrides: Record<string, unknown> | undefined,
): Promise<string> {
  const full = path.join(extDir, "blocks", file);
  const source = await readFile(full, "utf8");
  const schema = schemaOf(source, file);
  const settings = { ...defaultSettings(schema, { product: baseCtx.product }), ...(overrides ?? {}) };
  const block = { id: blockId, type: `shopify://apps/lookalike/blocks/${file.replace(/\.liquid$/, "")}`, settings, shopify_attributes: "" };
  const html = await engine.parseAndRender(source, { ...baseCtx, block });
  return html.trim();
}

/* ------------------------------------------------------------------------------------------------
 * Minimal theme (the page around the blocks)
 * ---------------------------------------------------------------------------------------------- */

const THEME_STRINGS: Record<PreviewLocale, Record<string, string>> = {
  en: {
    country: "Country/region",
    language: "Language",
    update: "Update",
    announcement: "Free shipping & 30-day returns",
    nav_shop: "Shop",
    nav_new: "New arrivals",
    nav_about: "About",
    search: "Search",
    account: "Account",
    cart: "Cart",
    home: "Home",
    products: "Products",
    tax_note: "Taxes included. Shipping calculated at checkout.",
    quantity: "Quantity",
    decrease: "Decrease quantity",
    increase: "Increase quantity",
    add_to_cart: "Add to cart",
    in_stock: "In stock, ready to ship",
    description: "Description",
    no_image: "No image",
    footer_note: "Preview storefront",
    skip: "Skip to content",
  },
  fr: {
    country: "Pays/région",
    language: "Langue",
    update: "Mettre à jour",
    announcement: "Livraison offerte et retours sous 30 jours",
    nav_shop: "Boutique",
    nav_new: "Nouveautés",
    nav_about: "À propos",
    search: "Rechercher",
    account: "Compte",
    cart: "Panier",
    home: "Accueil",
    products: "Produits",
    tax_note: "Taxes incluses. Frais d’expédition calculés à l’étape du paiement.",
    quantity: "Quantité",
    decrease: "Réduire la quantité",
    increase: "Augmenter la quantité",
    add_to_cart: "Ajouter au panier",
    in_stock: "En stock, prêt à être expédié",
    description: "Description",
    no_image: "Aucune image",
    footer_note: "Boutique de démonstration",
    skip: "Aller au contenu",
  },
};

const THEME_CSS = `
:root{--color-foreground:28,27,25;--color-background:251,249,246;--color-button:28,27,25;--color-button-text:251,249,246;
--buttons-radius:999px;--inputs-radius:8px;--product-card-corner-radius:10px;--page-width:1200px}
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:rgb(var(--color-background));color:rgb(var(--color-foreground));
font-family:"Helvetica Neue",Helvetica,Arial,"Liberation Sans",sans-serif;font-size:16px;line-height:1.55;letter-spacing:.01em}
a{color:inherit}
img{max-width:100%;height:auto}
.skip{position:absolute;left:-9999px}.skip:focus{left:1rem;top:1rem;z-index:10;background:#fff;padding:.5rem 1rem}
.page-width{max-width:var(--page-width);margin:0 auto;padding:0 1.5rem}
.announcement{background:rgb(var(--color-foreground));color:rgb(var(--color-background));text-align:center;font-size:.8rem;letter-spacing:.08em;padding:.55rem 1rem}
.site-header{border-bottom:1px solid rgba(var(--color-foreground),.08);background:rgb(var(--color-background))}
.header-inner{display:grid;grid-template-columns:1fr auto 1fr;align-items:center;min-height:4.5rem;gap:1rem}
.header-nav{display:flex;gap:1.75rem;font-size:.92rem}
.header-nav a{text-decoration:none;opacity:.85}.header-nav a:hover{opacity:1;text-decoration:underline;text-underline-offset:.3em}
.logo{font-family:Georgia,"Liberation Serif","Times New Roman",serif;font-size:1.6rem;letter-spacing:.04em;text-decoration:none;white-space:nowrap}
.header-icons{display:flex;justify-content:flex-end;gap:.25rem}
.icon-btn{display:grid;place-items:center;width:2.75rem;height:2.75rem;border:0;background:none;color:inherit;border-radius:50%;cursor:pointer}
.icon-btn:hover{background:rgba(var(--color-foreground),.06)}
.breadcrumbs{font-size:.8rem;opacity:.65;margin:1.5rem 0 1.25rem}.breadcrumbs a{text-decoration:none}
.breadcrumbs ol{list-style:none;display:flex;flex-wrap:wrap;gap:.5rem;margin:0;padding:0}
.breadcrumbs li+li::before{content:"/";margin-right:.5rem;opacity:.6}
.product{display:grid;grid-template-columns:minmax(0,1.15fr) minmax(0,1fr);gap:4rem;align-items:start}
.product__media{position:relative;aspect-ratio:1/1;border-radius:14px;overflow:hidden;background:rgba(var(--color-foreground),.05)}
.product__media img{position:absolute;inset:0;width:100%;height:100%;object-fit:cover}
.product__placeholder{position:absolute;inset:0;display:grid;place-items:center;font-size:.9rem;opacity:.5}
.product__info{position:sticky;top:1.5rem;padding-top:.5rem}
.product__vendor{text-transform:uppercase;letter-spacing:.18em;font-size:.72rem;opacity:.65;margin:0 0 .75rem}
.product__title{font-family:Georgia,"Liberation Serif","Times New Roman",serif;font-weight:400;font-size:2.4rem;line-height:1.15;margin:0 0 1rem}
.product__price{font-size:1.25rem;margin:0 0 .35rem}
.product__tax{font-size:.8rem;opacity:.65;margin:0 0 1.75rem}
.product__stock{display:flex;align-items:center;gap:.5rem;font-size:.85rem;margin:0 0 1.25rem}
.product__stock::before{content:"";width:.55rem;height:.55rem;border-radius:50%;background:#3a8f5c}
.buy{display:grid;grid-template-columns:auto 1fr;gap:.75rem;margin-bottom:.25rem}
.qty{display:flex;align-items:center;border:1px solid rgba(var(--color-foreground),.3);border-radius:999px;height:3rem}
.qty button{width:2.75rem;height:100%;border:0;background:none;font:inherit;font-size:1.1rem;color:inherit;cursor:pointer}
.qty input{width:2.5rem;border:0;background:none;text-align:center;font:inherit;color:inherit;-moz-appearance:textfield}
.qty input::-webkit-inner-spin-button{-webkit-appearance:none}
.add-to-cart{height:3rem;border-radius:999px;border:0;background:rgb(var(--color-button));color:rgb(var(--color-button-text));font:inherit;letter-spacing:.06em;cursor:pointer}
.add-to-cart:hover{opacity:.9}
.product__description{margin-top:1.75rem;padding-top:1.5rem;border-top:1px solid rgba(var(--color-foreground),.1);font-size:.95rem;opacity:.9}
.product__description h2{font-size:.8rem;text-transform:uppercase;letter-spacing:.16em;margin:0 0 .75rem;opacity:.7;font-weight:600}
.product__description p{margin:0 0 .9rem}
.recommendations{margin-top:4rem}
.site-footer{margin-top:5rem;border-top:1px solid rgba(var(--color-foreground),.08);padding:2.5rem 0 3rem;font-size:.8rem;opacity:.75}
.footer-inner{display:flex;justify-content:space-between;gap:1rem;flex-wrap:wrap}
@media (max-width:989px){.product{gap:2.5rem}.product__title{font-size:2rem}}
@media (max-width:749px){
.page-width{padding:0 1rem}
.header-inner{grid-template-columns:auto minmax(0,1fr) auto;min-height:3.75rem;gap:.25rem}
.header-nav{display:none}.logo{font-size:1.3rem;justify-self:center;min-width:0;max-width:100%;overflow:hidden;text-overflow:ellipsis}
.header-icons{gap:0}.header-icons .icon-btn--account{display:none}
.menu-btn{display:grid!important}
.product{grid-template-columns:1fr;gap:1.5rem}
.product__media{border-radius:10px;margin:0 -1rem;border-radius:0}
.product__info{position:static}
.product__title{font-size:1.75rem}
.recommendations{margin-top:2.5rem}
.breadcrumbs{display:none}
.product__layout-top{margin-top:0}
}
.menu-btn{display:none}
.localization{display:flex;justify-content:flex-end;align-items:center;gap:1.25rem;flex-wrap:wrap;font-size:.8rem;padding:.4rem 0}
.localization form{display:flex;align-items:center;gap:.4rem}
.localization select,.localization button{font:inherit;color:inherit;background:none;border:1px solid rgba(var(--color-foreground),.3);border-radius:6px;padding:.2rem .4rem}
.localization a[aria-current]{font-weight:600;text-decoration:none}
`;

const ICONS = {
  search:
    '<svg aria-hidden="true" focusable="false" width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6"><circle cx="11" cy="11" r="6.5"/><path d="M16 16l4.5 4.5" stroke-linecap="round"/></svg>',
  account:
    '<svg aria-hidden="true" focusable="false" width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6"><circle cx="12" cy="8.5" r="3.75"/><path d="M4.5 20c1.2-3.6 4-5.4 7.5-5.4s6.3 1.8 7.5 5.4" stroke-linecap="round"/></svg>',
  cart:
    '<svg aria-hidden="true" focusable="false" width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6"><path d="M5 8h14l-1.2 11.2a1 1 0 0 1-1 .8H7.2a1 1 0 0 1-1-.8z" stroke-linejoin="round"/><path d="M9 8V6.5a3 3 0 0 1 6 0V8"/></svg>',
  menu:
    '<svg aria-hidden="true" focusable="false" width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6"><path d="M4 7h16M4 12h16M4 17h16" stroke-linecap="round"/></svg>',
};

function numericId(id: string): string {
  const m = String(id).match(/(\d+)\s*$/);
  return m ? m[1] : String(id);
}

function paragraphs(text: string | undefined): string {
  if (!text) return "";
  return text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, "<br>")}</p>`)
    .join("");
}

/* ------------------------------------------------------------------------------------------------
 * Public API
 * ---------------------------------------------------------------------------------------------- */

export async function renderProductPage(opts: RenderProductPageOptions): Promise<string> {
  const locale: PreviewLocale = opts.locale === "fr" ? "fr" : "en";
  const flags = { similar: true, photoSearch: true, launcher: true, ...(opts.blocks ?? {}) };
  const extDir = resolveExtensionDir(opts.extensionDir);
  const p = opts.product;
  const currency = (opts.market?.currency || p.currency || "USD").toUpperCase();
  const country = (opts.market?.country || "US").toUpperCase();
  const rootUrl = opts.rootUrl && opts.rootUrl !== "/" ? `/${opts.rootUrl.replace(/^\/+|\/+$/g, "")}` : "/";
  const T = THEME_STRINGS[locale];
  const intlLocale = locale === "fr" ? "fr-FR" : "en-US";

  const readLocale = async (file: string): Promise<Json> => {
    const f = path.join(extDir, "locales", file);
    return existsSync(f) ? (JSON.parse(await readFile(f, "utf8")) as Json) : {};
  };
  const fallback = await readLocale("en.default.json");
  const strings = locale === "en" ? fallback : await readLocale(`${locale}.json`);
  const engine = createEngine(extDir, strings, fallback, opts.assetBaseUrl, currency, intlLocale);

  const priceCents = Math.round(Number(p.price) * 100);
  const productUrl = `${rootUrl === "/" ? "" : rootUrl}/products/${encodeURIComponent(p.handle)}`;
  const image = p.image ? { src: p.image, alt: p.title, width: 1200, height: 1200 } : null;
  const liquidProduct = {
    id: numericId(p.id),
    handle: p.handle,
    title: p.title,
    url: productUrl,
    price: priceCents,
    price_min: priceCents,
    price_max: priceCents,
    available: true,
    description: p.description ?? "",
    featured_image: image,
    images: image ? [image] : [],
  };
  const baseCtx: Json = {
    product: liquidProduct,
    shop: { name: opts.shopName, currency, locale, url: "", permanent_domain: "preview.myshopify.com" },
    cart: { currency: { iso_code: currency }, item_count: 0 },
    request: { locale: { iso_code: locale, primary: locale === "en" }, design_mode: false, page_type: "product", path: productUrl },
    localization: { country: { iso_code: country, currency: { iso_code: currency } }, language: { iso_code: locale } },
    routes: { root_url: rootUrl },
    app: { metafields: { lookalike: { proxy_path: opts.proxyPath, ...(opts.storefrontApi ? { storefront_api: opts.storefrontApi } : {}) } } },
    template: { name: "product" },
  };

  const [similarHtml, photoHtml, launcherHtml] = await Promise.all([
    flags.similar ? renderBlock(engine, extDir, "similar-products.liquid", "lookalike-similar", baseCtx, opts.blockSettings?.similar) : "",
    flags.photoSearch ? renderBlock(engine, extDir, "photo-search.liquid", "lookalike-photo", baseCtx, opts.blockSettings?.photoSearch) : "",
    flags.launcher ? renderBlock(engine, extDir, "launcher.liquid", "lookalike-launcher", baseCtx, opts.blockSettings?.launcher) : "",
  ]);

  const e = escapeHtml;
  const loc = opts.localization;
  const localizationBar = loc
    ? `<div class="page-width localization">
  <form method="get"><label for="localization-country">${e(T.country)}</label><select id="localization-country" name="country" onchange="this.form.submit()">${loc.countries
    .map((c) => `<option value="${e(c.code)}"${c.code === country ? " selected" : ""}>${e(c.name)}</option>`)
    .join("")}</select><button type="submit">${e(T.update)}</button></form>
  <nav aria-label="${e(T.language)}">${loc.languages
    .map((l) => `<a href="${e(l.href)}" hreflang="${l.code}" lang="${l.code}"${l.code === locale ? ' aria-current="true"' : ""}>${e(l.name)}</a>`)
    .join(" · ")}</nav>
</div>`
    : "";
  const price = formatMoney(Number(p.price), currency, intlLocale);
  const media = p.image
    ? `<img src="${e(p.image)}" alt="${e(p.title)}" width="1200" height="1200" fetchpriority="high">`
    : `<div class="product__placeholder">${e(T.no_image)}</div>`;

  return `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${e(p.title)} – ${e(opts.shopName)}</title>
<meta name="description" content="${e((p.description ?? p.title).slice(0, 160))}">
<style>${THEME_CSS}</style>
</head>
<body class="template-product">
<a class="skip" href="#main">${e(T.skip)}</a>
<div class="announcement">${e(T.announcement)}</div>
${localizationBar}
<header class="site-header">
  <div class="page-width header-inner">
    <button class="icon-btn menu-btn" type="button" aria-label="Menu">${ICONS.menu}</button>
    <nav class="header-nav" aria-label="Main">
      <a href="/collections/all">${e(T.nav_shop)}</a>
      <a href="/collections/new">${e(T.nav_new)}</a>
      <a href="/pages/about">${e(T.nav_about)}</a>
    </nav>
    <a class="logo" href="/">${e(opts.shopName)}</a>
    <div class="header-icons">
      <a class="icon-btn" href="/search" aria-label="${e(T.search)}">${ICONS.search}</a>
      <a class="icon-btn icon-btn--account" href="/account" aria-label="${e(T.account)}">${ICONS.account}</a>
      <a class="icon-btn" href="/cart" aria-label="${e(T.cart)}">${ICONS.cart}</a>
    </div>
  </div>
</header>
<main id="main" class="page-width">
  <nav class="breadcrumbs" aria-label="Breadcrumb"><ol><li><a href="/">${e(T.home)}</a></li><li><a href="/collections/all">${e(T.products)}</a></li><li aria-current="page">${e(p.title)}</li></ol></nav>
  <section class="product" data-product-id="${e(numericId(p.id))}">
    <div class="product__media">${media}</div>
    <div class="product__info">
      <p class="product__vendor">${e(opts.shopName)}</p>
      <h1 class="product__title">${e(p.title)}</h1>
      <p class="product__price">${e(price)}</p>
      <p class="product__tax">${e(T.tax_note)}</p>
      <p class="product__stock">${e(T.in_stock)}</p>
      <form class="buy" action="/cart/add" method="post" onsubmit="return false">
        <div class="qty"><button type="button" aria-label="${e(T.decrease)}">−</button><input type="number" name="quantity" value="1" min="1" aria-label="${e(T.quantity)}"><button type="button" aria-label="${e(T.increase)}">+</button></div>
        <button class="add-to-cart" type="submit">${e(T.add_to_cart)}</button>
      </form>
      ${photoHtml}
      ${p.description ? `<div class="product__description"><h2>${e(T.description)}</h2>${paragraphs(p.description)}</div>` : ""}
    </div>
  </section>
  ${similarHtml ? `<div class="recommendations">${similarHtml}</div>` : ""}
</main>
<footer class="site-footer">
  <div class="page-width footer-inner"><span>© ${new Date().getFullYear()} ${e(opts.shopName)}</span><span>${e(T.footer_note)}</span></div>
</footer>
${launcherHtml}
</body>
</html>
`;
}
