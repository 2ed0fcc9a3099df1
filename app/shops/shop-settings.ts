/**
 * Per-shop settings (stored as JSON in Shop.settings): validated on save, read tolerantly (an
 * unknown or invalid stored value falls back to its default, never breaks the storefront).
 */
export interface ChannelWeightSettings {
  image: number;
  color: number;
  text: number;
}

export interface ShopSettings {
  /** Blend of the similarity channels for "Similar products" (normalised to sum 1 when used). */
  weights: ChannelWeightSettings;
  /** Default number of results when a block does not ask for a number. */
  resultsCount: number;
  /** Hide products that are not available for sale. */
  hideOutOfStock: boolean;
  /** Restrict similar products to this fraction around the product's price (0 = no restriction). */
  priceBand: number;
  excludedProductTypes: string[];
  excludedTags: string[];
  blocks: { similar: boolean; photoSearch: boolean; launcher: boolean };
}

export const DEFAULT_SETTINGS: ShopSettings = {
  weights: { image: 0.4, color: 0.1, text: 0.5 },
  resultsCount: 8,
  hideOutOfStock: false,
  priceBand: 0,
  excludedProductTypes: [],
  excludedTags: [],
  blocks: { similar: true, photoSearch: true, launcher: true },
};

export type SettingsErrors = Partial<Record<string, string>>;

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const strList = (v: unknown): string[] | null =>
  Array.isArray(v) && v.every((x) => typeof x === "string") ? [...new Set(v.map((x) => x.trim()).filter(Boolean))].slice(0, 100) : null;

/** Validates a full settings object from the admin; returns field errors a merchant can act on. */
export function validateSettings(input: unknown): { settings: ShopSettings; errors: SettingsErrors } {
  const errors: SettingsErrors = {};
  const o = (input ?? {}) as Record<string, unknown>;
  const settings: ShopSettings = structuredClone(DEFAULT_SETTINGS);

  const w = (o.weights ?? {}) as Record<string, unknown>;
  for (const ch of ["image", "color", "text"] as const) {
    if (!isNum(w[ch]) || w[ch] < 0 || w[ch] > 1) errors[`weights.${ch}`] = "Enter a weight from 0 to 1";
    else settings.weights[ch] = w[ch];
  }
  if (!errors["weights.image"] && !errors["weights.color"] && !errors["weights.text"] && settings.weights.image + settings.weights.color + settings.weights.text <= 0) {
    errors.weights = "At least one weight must be above 0";
  }
  if (!Number.isInteger(o.resultsCount) || (o.resultsCount as number) < 1 || (o.resultsCount as number) > 24) errors.resultsCount = "Choose from 1 to 24 results";
  else settings.resultsCount = o.resultsCount as number;
  if (typeof o.hideOutOfStock !== "boolean") errors.hideOutOfStock = "Must be on or off";
  else settings.hideOutOfStock = o.hideOutOfStock;
  if (!isNum(o.priceBand) || o.priceBand < 0 || o.priceBand > 10) errors.priceBand = "Enter a price band from 0 (off) to 10 (±1000%)";
  else settings.priceBand = o.priceBand;
  for (const key of ["excludedProductTypes", "excludedTags"] as const) {
    const list = strList(o[key] ?? []);
    if (!list) errors[key] = "Must be a list of names";
    else settings[key] = list;
  }
  const b = (o.blocks ?? {}) as Record<string, unknown>;
  for (const k of ["similar", "photoSearch", "launcher"] as const) {
    if (typeof b[k] !== "boolean") errors[`blocks.${k}`] = "Must be on or off";
    else settings.blocks[k] = b[k] as boolean;
  }
  return { settings, errors };
}

/** Reads stored settings; anything missing or invalid takes its default. */
export function parseStoredSettings(json: string | null | undefined): ShopSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(json || "{}");
  } catch {
    raw = {};
  }
  const merged = { ...structuredClone(DEFAULT_SETTINGS), ...(raw as object) } as Record<string, unknown>;
  merged.weights = { ...DEFAULT_SETTINGS.weights, ...((raw as { weights?: object }).weights ?? {}) };
  merged.blocks = { ...DEFAULT_SETTINGS.blocks, ...((raw as { blocks?: object }).blocks ?? {}) };
  const { settings, errors } = validateSettings(merged);
  // Per-field fallback: validateSettings already left defaults where a field was invalid.
  void errors;
  return settings;
}
