/**
 * Which shops store their vectors projected, and to how many dimensions (decision 0019):
 * `VECTOR_PROJECTION` = "off", or comma-separated `image=<dims>,text=<dims>,photos=<dims>,min=<products>`
 * (any subset; the rest keep their defaults; a dimension of 0 leaves that one unprojected). A shop of
 * at least `minProducts` products gets, on its next full build, projections learned from its own
 * vectors: the combined index's image and text channels, and the per-photo index.
 */
export interface ProjectionConfig {
  /** Output dimension of the combined index's image channel. */
  image: number;
  /** Output dimension of the combined index's text channel. */
  text: number;
  /** Output dimension of the per-photo index. */
  photos: number;
  /** Smallest catalog that is projected (a smaller one saves less than its bases cost: ~2.7 MB). */
  minProducts: number;
}

export const DEFAULT_PROJECTION: ProjectionConfig = { image: 256, text: 128, photos: 0, minProducts: 1_000 };

const KEYS: Record<string, keyof ProjectionConfig> = { image: "image", text: "text", photos: "photos", min: "minProducts" };

/** Parses VECTOR_PROJECTION; throws a RangeError naming what is wrong. */
export function parseProjection(value: string | undefined): ProjectionConfig | null {
  const v = value?.trim() ?? "";
  if (v === "" || v === "on") return { ...DEFAULT_PROJECTION };
  if (v === "off" || v === "0") return null;
  const out = { ...DEFAULT_PROJECTION };
  for (const part of v.split(",")) {
    const [key, raw, ...rest] = part.split("=").map((x) => x.trim());
    const field = KEYS[key];
    const n = Number(raw);
    if (!field || rest.length > 0 || raw === undefined || raw === "" || !Number.isInteger(n) || n < 0) {
      throw new RangeError(
        `VECTOR_PROJECTION must be "off" or a list like "image=256,text=128,photos=256,min=1000" (whole numbers ≥ 0; a dimension of 0: not projected); got "${value}"`,
      );
    }
    out[field] = n;
  }
  return out;
}
