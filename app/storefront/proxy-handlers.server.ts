/**
 * The storefront API behind the app proxy, as plain functions of the web process' storefront
 * services (storefront-services.ts, built by app/web-services.server.ts) and a Request (routes are
 * one line). Every handler: verify the signature, scope by the signed shop, answer JSON. The
 * searches themselves are the ranking's (app/ranking/); their domain errors become HTTP here.
 */
import { createReadStream } from "node:fs";
import { errorSummary } from "../shared/error-text";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { photoSearchAdmission } from "./admission.server";
import { decodePhotoUpload, receivePhotoUpload } from "./photo-upload.server";
import { authenticateProxy, authenticateProxyParams } from "./proxy-auth.server";
import { errorResponse, jsonResponse, ProxyError, proxyErrorOf } from "./proxy-errors.server";
import { parseColours, parseFilter, parseLimit, parsePhotoBox, parsePhotoWords, parseProductId } from "./search-params.server";
import { rankSimilar, rankSimilarStored } from "../ranking/similar.server";
import { rankOtherColours } from "../ranking/other-colours.server";
import { withSettings } from "../shops/settings-filter";
import { canonicalFilter } from "../search/canonical-filter";
import type { CacheKey } from "./result-cache.server";
import type { SearchHit } from "../search/shop-vector-index.server";
import type { StorefrontServices } from "./storefront-services";
import { toCards } from "../ranking/cards";
import { localFeatureSource } from "../ranking/local-feature-source.server";
import { autoBoxFromEnv, photoQuery, resultTypes } from "../ranking/photo-query.server";
import { WHOLE_PHOTO } from "../embedding/image/photo-region";
import { textSearch } from "../ranking/text.server";
import { storefrontConfig } from "../shops/storefront-config";
import { moduleLogger, type Logger } from "../logging/logger.server";

/** Handlers log through the request's logger (reqId) when server.ts hands them one, else through this. */
const storefrontLog = moduleLogger("storefront");

async function handled(log: Logger, run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (err) {
    const known = proxyErrorOf(err);
    if (known) return errorResponse(known);
    log.error({ err }, "proxy error");
    return errorResponse(new ProxyError(500, "internal_error", "Something went wrong; please try again."));
  }
}

let lastUnavailableLog = 0;
/** Similar products only: served before a shop just opened has read its photo index (one object, not one a request). */
const SIMILAR_ONLY = { photos: false } as const;

/** `photos: false`: similar products only, served before a shop just opened has read its photo index. */
async function installedCatalog(services: StorefrontServices, shop: string, log: Logger, opts: { photos?: boolean } = {}) {
  let catalog;
  try {
    catalog = await (await services.catalogs).get(shop, opts);
  } catch (err) {
    // Not in memory and the database cannot be read (a loaded catalog is served from memory).
    if (Date.now() - lastUnavailableLog > 10_000) {
      lastUnavailableLog = Date.now();
      log.error({ shop }, `catalog of ${shop} unavailable: ${errorSummary(err)}`);
    }
    throw new ProxyError(503, "unavailable", "Search is briefly unavailable; please try again in a few seconds.", { "Retry-After": "5" });
  }
  if (catalog.version < 0 || !catalog.installed) throw new ProxyError(404, "shop_not_found", "This shop has no Lookalike catalog.");
  return catalog;
}

/** A response as plain data, so the lean node:http entry (server.ts) can write it without fetch objects. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const JSON_TYPE = "application/json; charset=utf-8";
const SIMILAR_CACHE_CONTROL = "private, max-age=30";
/** `enabled`: the merchant's "Similar products" switch (Settings › Storefront blocks). */
const SIMILAR_OFF = Buffer.from(JSON.stringify({ products: [], enabled: false }));
const timingsOn = () => process.env.PROXY_TIMINGS === "1";

let lastChargeErrorLog = 0;
/** Charges the client for a costly search (rate-limits.server.ts `charge`), after the answer; never fails the request. */
function chargeSearch(services: StorefrontServices, route: "similar", shop: string, clientAddress: string | undefined, workMs: number, log: Logger): void {
  services.rateLimits
    .charge(route, shop, clientAddress, workMs)
    .catch((err) => {
      if (Date.now() - lastChargeErrorLog < 10_000) return;
      lastChargeErrorLog = Date.now();
      log.error({ shop }, `rate-limit charge failed: ${errorSummary(err)}`);
    });
}

function rawError(err: unknown, log: Logger): RawResponse {
  const e = proxyErrorOf(err) ?? (log.error({ err }, "proxy error"), new ProxyError(500, "internal_error", "Something went wrong; please try again."));
  return {
    status: e.status,
    headers: { "Content-Type": JSON_TYPE, "Cache-Control": "no-store", ...e.headers },
    body: Buffer.from(JSON.stringify({ error: { code: e.code, message: e.message } })),
  };
}

function toResponse(raw: RawResponse): Response {
  return new Response(raw.body as unknown as ArrayBuffer, { status: raw.status, headers: raw.headers });
}

/**
 * GET /proxy/similar?product_id=…[&limit=…][&colours=n][&filter=…|min_price=…] — the fast route;
 * `colours=n` adds up to n "Also in other colours" cards (`colours` in the JSON, decision 49). Steps (each
 * timed in a Server-Timing header when PROXY_TIMINGS=1): signature → params → catalog (memory;
 * version re-checked at most once a second) → result cache (in-process LRU, then Redis) → search
 * with the merchant's rules → cards → JSON.
 */
export async function similarRaw(services: StorefrontServices, url: string, clientAddress?: string, log: Logger = storefrontLog): Promise<RawResponse> {
  const t = timingsOn() ? [performance.now()] : undefined;
  const mark = t ? () => void t.push(performance.now()) : () => {};
  try {
    const q = url.indexOf("?");
    const params = new URLSearchParams(q >= 0 ? url.slice(q + 1) : "");
    const { shop, pathPrefix } = authenticateProxyParams(params);
    mark(); // sig
    const productId = parseProductId(params);
    const limitParam = parseLimit(params);
    const filter = parseFilter(params);
    const colours = parseColours(params);
    mark(); // parse
    const catalog = await installedCatalog(services, shop, log, SIMILAR_ONLY);
    const limit = limitParam ?? catalog.settings.resultsCount;
    mark(); // catalog
    // The merchant switched the "Similar products" block off: the block hides itself, no search runs.
    if (!catalog.settings.blocks.similar) return { status: 200, headers: { "Content-Type": JSON_TYPE, "Cache-Control": SIMILAR_CACHE_CONTROL }, body: SIMILAR_OFF };
    const rc = services.resultCache;
    let key: CacheKey | undefined;
    let body: Buffer | undefined;
    if (rc.enabled) {
      key = rc.key(shop, catalog.version, catalog.weightsKey, `sim:${productId}:${limit}:${colours ? `c${colours}:` : ""}${pathPrefix}:${canonicalFilter(filter)}`);
      body = rc.local(key) ?? (await rc.remote(key));
    }
    mark(); // cache
    if (!body) {
      // Limits guard the work: a cached answer, or one read from the product's stored neighbour list,
      // costs next to nothing (tens of µs); a search of the index does not.
      let hits = rankSimilarStored(catalog, productId, limit, filter);
      let otherColours: SearchHit[] | undefined;
      // The "other colours" row always searches the index (by image channel within the product type).
      if (!hits || colours) {
        await services.rateLimits.check("similar", shop, clientAddress);
        // CPU time, not wall time: a search preempted by other processes on a busy box costs the client nothing extra.
        const cpu = process.cpuUsage();
        hits ??= rankSimilar(catalog, productId, limit, filter);
        if (colours) otherColours = rankOtherColours(catalog, productId, colours, filter);
        const used = process.cpuUsage(cpu);
        chargeSearch(services, "similar", shop, clientAddress, (used.user + used.system) / 1000, log);
      }
      mark(); // search
      const cards = toCards(catalog, hits, pathPrefix);
      const colourCards = otherColours && toCards(catalog, otherColours, pathPrefix);
      mark(); // hydrate
      body = Buffer.from(JSON.stringify(colourCards ? { products: cards, colours: colourCards, enabled: true } : { products: cards, enabled: true }));
      mark(); // json
      if (key) void rc.set(key, body);
    }
    const headers: Record<string, string> = { "Content-Type": JSON_TYPE, "Cache-Control": SIMILAR_CACHE_CONTROL };
    if (t) {
      const names = ["sig", "parse", "catalog", "cache", "search", "hydrate", "json"];
      headers["Server-Timing"] = t
        .slice(1)
        .map((x, i) => `${names[i]};dur=${(x - t[i]).toFixed(3)}`)
        .join(", ");
    }
    return { status: 200, headers, body };
  } catch (err) {
    return rawError(err, log);
  }
}

/** `clientAddress`: the route's `context.clientAddress` (server.ts, app/http/client-address.server.ts). */
export async function similarHandler(services: StorefrontServices, request: Request, clientAddress?: string, log: Logger = storefrontLog): Promise<Response> {
  return toResponse(await similarRaw(services, request.url, clientAddress, log));
}

export function visualSearchHandler(services: StorefrontServices, request: Request, clientAddress?: string, log: Logger = storefrontLog): Promise<Response> {
  return handled(log, async () => {
    if (request.method !== "POST") throw new ProxyError(405, "method_not_allowed", "POST a photo as multipart/form-data.", { Allow: "POST" });
    const { shop, pathPrefix } = await authenticateProxy(request);
    await services.rateLimits.check("photo", shop, clientAddress);
    const params = new URL(request.url).searchParams;
    const requestFilter = parseFilter(params);
    // The box and the words are checked before the upload is read: a bad request costs no upload.
    const box = parsePhotoBox(params);
    const words = parsePhotoWords(params);
    const catalog = await installedCatalog(services, shop, log);
    const limit = parseLimit(params) ?? catalog.settings.resultsCount;
    const filter = withSettings(requestFilter, catalog.settings);
    const embedder = await services.embedder;
    const wordsModels = words ? { text: await services.textEmbedder, imageModelId: embedder.modelId } : undefined;
    // The upload is read first (bounded in bytes and time): a slow upload holds no search slot.
    const upload = await receivePhotoUpload(request);
    // Bounded: past the limit a photo is refused at once (503, Retry-After), before it is decoded.
    return photoSearchAdmission().run(async () => {
      const photo = await decodePhotoUpload(upload, embedder.spec);
      if (!filter) return jsonResponse({ products: [], box: { ...(box ?? WHOLE_PHOTO), guessed: false }, types: [] });
      const deps = { embedder, local: localFeatureSource(services.db, shop), words: wordsModels, autoBox: autoBoxFromEnv() };
      const result = await photoQuery(catalog, photo, { box, words }, limit, filter, deps);
      return jsonResponse({ products: toCards(catalog, result.hits, pathPrefix), box: result.box, types: resultTypes(catalog, result.hits) });
    });
  });
}

/** Photos of operator-imported products (file: URLs), served only for that product of that shop. */
export function productImageHandler(services: Pick<StorefrontServices, "db">, request: Request, productIdParam: string | undefined, log: Logger = storefrontLog): Promise<Response> {
  return handled(log, async () => {
    const { shop } = await authenticateProxy(request);
    const id = parseProductId(new URLSearchParams({ product_id: productIdParam ?? "" }));
    // ?photo=n: the product's n-th stored photo (a variant's own photo on a card); the first by default.
    const photoParam = new URL(request.url).searchParams.get("photo") ?? "0";
    const photo = /^\d{1,2}$/.test(photoParam) ? Number(photoParam) : -1;
    const row = await services.db.product.findUnique({ where: { shopDomain_id: { shopDomain: shop, id } }, select: { imageUrls: true, source: true } });
    const first = row && photo >= 0 ? (JSON.parse(row.imageUrls) as string[])[photo] : undefined;
    if (!row || row.source !== "import" || !first?.startsWith("file:")) throw new ProxyError(404, "image_not_found", "No such product image.");
    const file = fileURLToPath(first);
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) throw new ProxyError(404, "image_not_found", "No such product image.");
    const type = /\.png$/i.test(file) ? "image/png" : /\.webp$/i.test(file) ? "image/webp" : "image/jpeg";
    return new Response(Readable.toWeb(createReadStream(file)) as ReadableStream, {
      headers: { "Content-Type": type, "Content-Length": String(info.size), "Cache-Control": "public, max-age=3600" },
    });
  });
}

export const MAX_QUERY_LENGTH = 200;

/**
 * GET /proxy/search?q=…[&limit=…][&filters] — products whose text (title, type, tags, vendor,
 * description) matches the words, through the text channel of the same index — or, with CLIP's
 * text and image towers configured, products whose photos match the words (app/ranking/text.server.ts);
 * the shop's settings apply as for every storefront search.
 */
export function textSearchHandler(services: StorefrontServices, request: Request, clientAddress?: string, log: Logger = storefrontLog): Promise<Response> {
  return handled(log, async () => {
    const { shop, pathPrefix } = await authenticateProxy(request);
    const params = new URL(request.url).searchParams;
    const q = (params.get("q") ?? "").trim();
    if (!q) throw new ProxyError(400, "missing_query", "q is required: the words to search for.");
    if (q.length > MAX_QUERY_LENGTH) throw new ProxyError(400, "query_too_long", `q may be at most ${MAX_QUERY_LENGTH} characters.`);
    const requestFilter = parseFilter(params);
    const catalog = await installedCatalog(services, shop, log);
    const limit = parseLimit(params) ?? catalog.settings.resultsCount;
    const filter = withSettings(requestFilter, catalog.settings);
    await services.rateLimits.check("similar", shop, clientAddress);
    if (!filter) return jsonResponse({ products: [] });
    const textModels = { text: await services.textEmbedder, imageModelId: (await services.embedder).modelId };
    const started = performance.now();
    const hits = await textSearch(catalog, textModels, q, limit, filter);
    chargeSearch(services, "similar", shop, clientAddress, performance.now() - started, log);
    return jsonResponse({ products: toCards(catalog, hits, pathPrefix) });
  });
}

/** GET /proxy/config — the shop's storefront switches and number of results, for the theme blocks. */
export function configHandler(services: StorefrontServices, request: Request, log: Logger = storefrontLog): Promise<Response> {
  return handled(log, async () => {
    const { shop } = await authenticateProxy(request);
    const catalog = await installedCatalog(services, shop, log);
    return jsonResponse(storefrontConfig(catalog.settings), 200, { "Cache-Control": "private, max-age=30" });
  });
}
