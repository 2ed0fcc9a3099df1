/** Settings: the shop's ShopSettings form (validated, saved per shop) and a live weights preview. */
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import type { ShopSettings, SettingsErrors } from "../shops/shop-settings";
import { loadShopSettings, saveShopSettings } from "../shops/shop-settings.server";
import type { AdminDeps } from "./admin-deps.server";
import { within } from "./admin-deps.server";
import { PRODUCT_VIEW_SELECT, toAdminProduct, type AdminProduct } from "./product-view.server";
import type { ProductAttributes } from "../search/filters";
import { cosinesFrom, type ChannelCosines } from "./weights-preview";

export interface WeightsPreview {
  sample: AdminProduct;
  /** The sample's price, for the price band. */
  samplePrice: number | undefined;
  /** Nearest products, unfiltered: the page applies the form's exclusions and number of results. */
  candidates: (AdminProduct & { cos: ChannelCosines; attrs: ProductAttributes })[];
}

export interface SettingsData {
  settings: ShopSettings;
  productTypes: string[];
  preview: WeightsPreview | null;
  /** The shop's index is still being opened (a restart, a big shop, a busy box): the page asks again shortly. */
  previewPending: boolean;
}

/** Enough for the largest number of results (24) after exclusions in most shops. */
const CANDIDATES = 80;

export async function settingsLoader({ request }: Pick<LoaderFunctionArgs, "request">, deps: AdminDeps): Promise<SettingsData> {
  const { session } = await deps.authenticate(request);
  const shop = session.shop;
  const url = new URL(request.url);
  const [settings, types] = await Promise.all([
    loadShopSettings(deps.db, shop),
    deps.db.product.groupBy({ by: ["productType"], where: { shopDomain: shop }, orderBy: { productType: "asc" }, take: 200 }),
  ]);
  const preview = await weightsPreview(deps, shop, url.searchParams.get("product"));
  return { settings, productTypes: types.map((t) => t.productType).filter(Boolean), preview: preview === PENDING ? null : preview, previewPending: preview === PENDING };
}

const PENDING = Symbol("pending");

/** The preview, or PENDING when the shop's index takes over 2 s to open (it goes on opening meanwhile). */
async function weightsPreview(deps: AdminDeps, shop: string, wanted: string | null): Promise<WeightsPreview | null | typeof PENDING> {
  const opened = await within(
    deps.catalog(shop).then(
      (catalog) => ({ catalog }),
      () => ({ catalog: null }),
    ),
    2_000,
  );
  if (!opened) return PENDING;
  const { catalog } = opened;
  if (!catalog || catalog.index.size < 2) return null;
  let sampleId = wanted && catalog.index.has(wanted) ? wanted : null;
  if (!sampleId) {
    const first = await deps.db.product.findFirst({ where: { shopDomain: shop, embedState: "embedded", status: "ACTIVE" }, orderBy: { title: "asc" }, select: { id: true } });
    sampleId = first && catalog.index.has(first.id) ? first.id : (catalog.index.ids().next().value ?? null);
  }
  if (!sampleId) return null;
  const hits = catalog.index.searchByProduct(sampleId, { k: Math.min(CANDIDATES, catalog.index.size - 1) });
  const rows = await deps.db.product.findMany({ where: { shopDomain: shop, id: { in: [sampleId, ...hits.map((h) => h.id)] } }, select: PRODUCT_VIEW_SELECT });
  const views = new Map(rows.map((r) => [r.id, toAdminProduct(r, shop, deps.apiSecret)]));
  const weights = catalog.index.weights;
  const sample = views.get(sampleId);
  if (!sample) return null;
  return {
    sample,
    samplePrice: catalog.index.attributes(sampleId)?.price,
    candidates: hits.flatMap((h) => {
      const view = views.get(h.id);
      const attrs = catalog.index.attributes(h.id);
      return view && attrs ? [{ ...view, cos: cosinesFrom(h.contributions, weights), attrs }] : [];
    }),
  };
}

export type SettingsActionResult = { ok: true; settings: ShopSettings } | { ok: false; errors: SettingsErrors };

export async function settingsAction({ request }: Pick<ActionFunctionArgs, "request">, deps: AdminDeps): Promise<SettingsActionResult> {
  const { session } = await deps.authenticate(request);
  let input: unknown;
  try {
    input = await request.json();
  } catch {
    return { ok: false, errors: { form: "The form could not be read; reload the page and try again." } };
  }
  const result = await saveShopSettings(deps.db, deps.publisher(), session.shop, input);
  return result.ok ? { ok: true, settings: result.settings } : { ok: false, errors: result.errors };
}
