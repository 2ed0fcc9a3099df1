/**
 * Preview: a product's similar products as the storefront computes them (the live index), with
 * why each matched (image / colour / text share of the score), the merchant's pins and excludes
 * applied, and photo search on an uploaded photo. Rules are written to ProductRule.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { catalogChanged } from "../catalog/catalog-changed.server";
import type { SearchHit } from "../search/shop-vector-index.server";
import { decodePhotoUpload, receivePhotoForm } from "../storefront/photo-upload.server";
import { parsePhotoBox, parsePhotoWords } from "../storefront/search-params.server";
import { WHOLE_PHOTO } from "../embedding/image/photo-region";
import { ProxyError } from "../storefront/proxy-errors.server";
import type { LiveCatalog } from "../live-index/live-catalog";
import { localFeatureSource } from "../ranking/local-feature-source.server";
import { autoBoxFromEnv, photoQuery, resultTypes, type SearchedBox } from "../ranking/photo-query.server";
import { rankSimilar } from "../ranking/similar.server";
import { withSettings } from "../shops/settings-filter";
import type { AdminDeps } from "./admin-deps.server";
import { within } from "./admin-deps.server";
import { PRODUCT_VIEW_SELECT, toAdminProduct, type AdminProduct } from "./product-view.server";

export const PREVIEW_K = 12;
/** The photo preview's form fields besides the photo: the storefront's box and words. */
const PHOTO_FIELDS = ["box_x", "box_y", "box_w", "box_h", "q"];
/** Neighbours read for "why it matched" (pinned products further away take one wider search). */
const WHY_K = 100;

export interface MatchReason {
  /** Each channel's share of the score, 0–1, summing to 1 (negative parts count as 0). */
  image: number;
  color: number;
  text: number;
}

export interface PreviewResult extends AdminProduct {
  score: number;
  why: MatchReason;
  rule: "pin" | "exclude" | null;
}

export interface PreviewData {
  query: string;
  choices: AdminProduct[];
  selected: AdminProduct | null;
  results: PreviewResult[];
  excluded: AdminProduct[];
  indexReady: boolean;
  notSearchable: boolean;
}

export function matchReason(hit: Pick<SearchHit, "contributions">): MatchReason {
  const c = hit.contributions;
  const parts = { image: Math.max(0, c.image), color: Math.max(0, c.color), text: Math.max(0, c.text) };
  const sum = parts.image + parts.color + parts.text;
  if (sum <= 0) return { image: 0, color: 0, text: 0 };
  const r = (x: number) => Math.round((x / sum) * 100) / 100;
  return { image: r(parts.image), color: r(parts.color), text: r(parts.text) };
}

/**
 * A photo-search hit as the admin shows it, on the scale of similar products: the score is the
 * photo's own similarity to the product (its first-pass score, 0–1), and the shares are of the
 * channels a photo has (photo shape, colours) — never text, which a photo has none of (the
 * ranking's feedback term, attributed to text, orders results but is not a likeness).
 */
export function photoMatch(first: Pick<SearchHit, "score" | "contributions"> | undefined): { score: number; why: MatchReason } {
  if (!first) return { score: 0, why: { image: 0, color: 0, text: 0 } };
  const score = Math.round(Math.min(1, Math.max(0, first.score)) * 1000) / 1000;
  return { score, why: matchReason({ contributions: { ...first.contributions, text: 0 } }) };
}

async function productViews(deps: AdminDeps, shop: string, ids: string[]): Promise<Map<string, AdminProduct>> {
  if (!ids.length) return new Map();
  const rows = await deps.db.product.findMany({ where: { shopDomain: shop, id: { in: ids } }, select: PRODUCT_VIEW_SELECT });
  return new Map(rows.map((r) => [r.id, toAdminProduct(r, shop, deps.apiSecret)]));
}

/** Scores of pinned products that are not among the nearest: a wider search (bounded). */
function widerHits(catalog: LiveCatalog, sourceId: string, missing: string[]): Map<string, SearchHit> {
  if (!missing.length) return new Map();
  const wide = catalog.index.searchByProduct(sourceId, { k: Math.min(500, catalog.index.size) });
  return new Map(wide.filter((h) => missing.includes(h.id)).map((h) => [h.id, h]));
}

export async function previewLoader({ request }: Pick<LoaderFunctionArgs, "request">, deps: AdminDeps): Promise<PreviewData> {
  const { session } = await deps.authenticate(request);
  const shop = session.shop;
  const url = new URL(request.url);
  const query = (url.searchParams.get("q") ?? "").trim().slice(0, 100);
  const productId = url.searchParams.get("product") ?? "";
  const variants = query ? [...new Set([query, query.toLowerCase(), query[0].toUpperCase() + query.slice(1).toLowerCase()])] : [];
  const choiceRows = await deps.db.product.findMany({
    where: { shopDomain: shop, embedState: "embedded", ...(query ? { OR: variants.map((v) => ({ title: { contains: v } })) } : {}) },
    orderBy: { title: "asc" },
    take: 30,
    select: PRODUCT_VIEW_SELECT,
  });
  const choices = choiceRows.map((r) => toAdminProduct(r, shop, deps.apiSecret));
  const data: PreviewData = { query, choices, selected: null, results: [], excluded: [], indexReady: true, notSearchable: false };
  if (!/^\d{1,20}$/.test(productId)) return data;

  const selected = (await productViews(deps, shop, [productId])).get(productId) ?? null;
  data.selected = selected;
  if (!selected) return data;
  const catalog = await within(deps.catalog(shop), 5_000);
  if (!catalog) return { ...data, indexReady: false };
  if (!catalog.index.has(productId)) return { ...data, notSearchable: true };

  const rules = await deps.db.productRule.findMany({ where: { shopDomain: shop, productId }, orderBy: { createdAt: "asc" } });
  const excludedIds = rules.filter((r) => r.kind === "exclude").map((r) => r.targetId);
  const ruleOf = new Map(rules.map((r) => [r.targetId, r.kind as "pin" | "exclude"]));
  // Exactly the storefront's ranking (settings, pins, excludes, in-stock boost, variant collapsing)…
  const limit = catalog.settings?.resultsCount ?? PREVIEW_K;
  const ordered = rankSimilar(catalog, productId, limit, {});
  // …and why each matched: the per-channel contributions of the plain nearest-neighbour search.
  const why = new Map(catalog.index.searchByProduct(productId, { k: Math.min(WHY_K, catalog.index.size - 1) }).map((h) => [h.id, h]));
  const views = await productViews(deps, shop, [...new Set([...ordered.map((h) => h.id), ...excludedIds])]);
  data.results = ordered.flatMap((h) => {
    const v = views.get(h.id);
    const scored = why.get(h.id) ?? widerHits(catalog, productId, [h.id]).get(h.id);
    const pinned = ruleOf.get(h.id) === "pin";
    return v ? [{ ...v, score: Math.round((scored?.score ?? (pinned ? 0 : h.score)) * 1000) / 1000, why: matchReason(scored ?? h), rule: pinned ? ("pin" as const) : null }] : [];
  });
  data.excluded = excludedIds.flatMap((id) => (views.get(id) ? [views.get(id)!] : []));
  return data;
}

export type PreviewActionResult =
  | { ok: true; intent: "rule"; message: string }
  | { ok: true; intent: "photo"; results: PreviewResult[]; box: SearchedBox; types: { value: string; count: number }[] }
  | { ok: false; error: string };

export async function previewAction({ request }: Pick<ActionFunctionArgs, "request">, deps: AdminDeps): Promise<PreviewActionResult> {
  const { session } = await deps.authenticate(request);
  const shop = session.shop;
  const type = request.headers.get("content-type") ?? "";
  if (/^multipart\/form-data/i.test(type)) return photoPreview(request, deps, shop);

  const form = await request.formData();
  const intent = String(form.get("intent") ?? "");
  const productId = String(form.get("productId") ?? "");
  const targetId = String(form.get("targetId") ?? "");
  if (!/^\d{1,20}$/.test(productId) || !/^\d{1,20}$/.test(targetId) || productId === targetId) return { ok: false, error: "Choose two different products." };
  const count = await deps.db.product.count({ where: { shopDomain: shop, id: { in: [productId, targetId] } } });
  if (count !== 2) return { ok: false, error: "That product is not in this shop's catalog." };
  const key = { shopDomain_productId_targetId: { shopDomain: shop, productId, targetId } };
  let message: string;
  if (intent === "pin" || intent === "exclude") {
    await deps.db.productRule.upsert({ where: key, create: { shopDomain: shop, productId, targetId, kind: intent }, update: { kind: intent } });
    message = intent === "pin" ? "Pinned to the top" : "Excluded from this product's recommendations";
  } else if (intent === "clear") {
    await deps.db.productRule.deleteMany({ where: { shopDomain: shop, productId, targetId } });
    message = "Rule removed";
  } else return { ok: false, error: "Unknown action." };
  await catalogChanged({ db: deps.db, publisher: deps.publisher() }, shop).catch(() => null);
  return { ok: true, intent: "rule", message };
}

async function photoPreview(request: Request, deps: AdminDeps, shop: string): Promise<PreviewActionResult> {
  try {
    const embedder = await deps.embedder();
    // The same box (box_x..box_h) and words (q) as the storefront's, as form fields.
    const { image: upload, fields } = await receivePhotoForm(request, PHOTO_FIELDS);
    const box = parsePhotoBox(fields);
    const words = parsePhotoWords(fields);
    const photo = await decodePhotoUpload(upload, embedder.spec);
    const catalog = await within(deps.catalog(shop), 10_000);
    if (!catalog) return { ok: false, error: "The search index is still loading; try again in a moment." };
    // As the storefront's photo search: the shop's number of results and its exclusions.
    const limit = catalog.settings?.resultsCount ?? PREVIEW_K;
    const filter = catalog.settings ? withSettings({}, catalog.settings) : {};
    if (!filter) return { ok: true, intent: "photo", results: [], box: { ...(box ?? WHOLE_PHOTO), guessed: false }, types: [] };
    const wordsModels = words && deps.textEmbedder ? { text: await deps.textEmbedder(), imageModelId: embedder.modelId } : undefined;
    const result = await photoQuery(catalog, photo, { box, words }, limit, filter, { embedder, local: localFeatureSource(deps.db, shop), words: wordsModels, autoBox: autoBoxFromEnv() });
    const { hits, firstPass } = result;
    const views = await productViews(deps, shop, hits.map((h) => h.id));
    return {
      ok: true,
      intent: "photo",
      results: hits.flatMap((h) => (views.get(h.id) ? [{ ...views.get(h.id)!, ...photoMatch(firstPass.get(h.id)), rule: null }] : [])),
      box: result.box,
      types: resultTypes(catalog, hits),
    };
  } catch (err) {
    if (err instanceof ProxyError) return { ok: false, error: err.message };
    throw err;
  }
}
