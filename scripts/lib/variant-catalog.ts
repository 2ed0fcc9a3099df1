/**
 * A catalog whose colour variants carry their own photos, built from luma-dev (which does not link
 * photos to variants) without copying its files: the new catalog.jsonl is written to `outDir`,
 * beside links (`images`, `queries`) to the dataset's folders, so relative image paths resolve.
 *
 * For each product with two or more colour variants and a held-back photo of one of them
 * (labels.jsonl `queryImage`, `queryColor`), that photo becomes the media of the variant of that
 * colour (`variants.nodes[].image.url`, as the Admin API gives variant media) and its price is
 * raised by 5, so a card showing that variant is told apart by its photo, link and price. The
 * other photos stay the product's (luma-dev's photos carry no colour label to link them by).
 * Queries for the measurement are perturbed versions of the variant's photo (a shopper's photo).
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { linkDatasetPhotos, readLabels } from "./dataset-copy";

export interface VariantCase {
  productId: string;
  /** The variant whose photo is the held-back photo. */
  variantId: string;
  color: string;
  price: string;
  /** Path of the variant's photo relative to the dataset (queries/<id>.jpg). */
  photo: string;
  /** Every variant id of the product with its colour. */
  variants: { id: string; color: string }[];
}

interface Label {
  productId: string;
  colors?: string[] | null;
  queryImage?: string | null;
  queryColor?: string | null;
}

type Node = Record<string, unknown> & { variants?: { nodes: Record<string, unknown>[] }; media?: { nodes: Record<string, unknown>[] } };

const colourOf = (v: Record<string, unknown>): string =>
  String(((v.selectedOptions as { name: string; value: string }[] | undefined) ?? []).find((o) => /colou?r/i.test(o.name))?.value ?? v.title ?? "");

/** Writes `<outDir>/catalog.jsonl` (the first `limit` eligible products) and returns the cases. */
export function buildVariantCatalog(datasetDir: string, outDir: string, limit = Infinity): { file: string; cases: VariantCase[] } {
  linkDatasetPhotos(datasetDir, outDir);
  const labels = readLabels<Label>(datasetDir);
  const out: string[] = [];
  const cases: VariantCase[] = [];
  for (const line of readFileSync(path.join(datasetDir, "catalog.jsonl"), "utf8").split("\n")) {
    if (!line.trim() || cases.length >= limit) continue;
    const p = JSON.parse(line) as Node;
    const label = labels.get(String(p.id));
    const variants = p.variants?.nodes ?? [];
    const target = variants.find((v) => label?.queryColor && colourOf(v).toLowerCase() === label.queryColor.toLowerCase());
    if (!label?.queryImage || !target || variants.length < 2) continue;
    const price = (Number(target.price) + 5).toFixed(2);
    const media = [...(p.media?.nodes ?? []), { id: `gid://shopify/MediaImage/${String(p.id).split("/").pop()}99`, image: { url: label.queryImage } }];
    const nodes = variants.map((v) => (v === target ? { ...v, price, image: { url: label.queryImage } } : v));
    const prices = nodes.map((v) => Number(v.price));
    const range = { amount: Math.min(...prices).toFixed(2), currencyCode: "USD" };
    out.push(
      JSON.stringify({
        ...p,
        media: { nodes: media },
        variants: { nodes },
        priceRangeV2: { minVariantPrice: range, maxVariantPrice: { ...range, amount: Math.max(...prices).toFixed(2) } },
      }),
    );
    const num = (gid: unknown) => String(gid).split("/").pop()!;
    cases.push({
      productId: num(p.id),
      variantId: num(target.id),
      color: colourOf(target),
      price,
      photo: label.queryImage,
      variants: variants.map((v) => ({ id: num(v.id), color: colourOf(v) })),
    });
  }
  const file = path.join(outDir, "catalog.jsonl");
  writeFileSync(file, out.join("\n") + "\n");
  return { file, cases };
}
