/**
 * A catalog that lists each colour as its own product, built from luma-dev (which lists colours as
 * variants of one product) without copying its files: the new catalog.jsonl is written to `outDir`,
 * beside links (`images`, `queries`) to the dataset's folders, so relative image paths resolve.
 *
 * For each product with a held-back photo (labels.jsonl `queryImage`, `queryColor`):
 *   - two or more colours, the held-back photo's colour among them: the product keeps only its
 *     first photo (the featured shot, of another colour than the held-back one: luma-dev holds back
 *     a photo of another colour variant), and a new product "<title> - <Colour>" of the same type
 *     and vendor has the held-back photo — one item in two colours, listed as two products;
 *   - one colour, the held-back photo of it: the same, but both products show that one colour —
 *     a same-colour twin that an "other colours" row must not show.
 * Every other product is kept as it is (distractors). Each pair gives two cases (each product asks
 * for the other); `otherColour` says whether its twin is another colour by the labels.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { linkDatasetPhotos, readLabels } from "./dataset-copy";

export interface ColourCase {
  /** Numeric product id of the product asked about. */
  productId: string;
  /** Its twin: the same item listed as another product. */
  twinId: string;
  /** True when the twin is another colour (labels), false for a same-colour twin. */
  otherColour: boolean;
  /** Leaf category (labels' `category`). */
  category: string;
}

interface Label {
  productId: string;
  category: string;
  colors?: string[] | null;
  queryImage?: string | null;
  queryColor?: string | null;
}

type Node = Record<string, unknown> & { id: string; handle: string; title: string; tags?: string[]; media?: { nodes: Record<string, unknown>[] }; variants?: { nodes: Record<string, unknown>[] } };

/** Twin ids: the source's numeric id plus this (luma-dev's ids are 81000000NN). */
const TWIN_OFFSET = 90_000_000;

/** Writes `<outDir>/catalog.jsonl` and returns the cases, the category of every product and the number of products. */
export function buildColourCatalog(datasetDir: string, outDir: string): { file: string; cases: ColourCase[]; categories: Map<string, string>; products: number } {
  linkDatasetPhotos(datasetDir, outDir);
  const labels = readLabels<Label>(datasetDir);
  const out: string[] = [];
  const cases: ColourCase[] = [];
  const categories = new Map<string, string>();
  const num = (gid: string) => gid.split("/").pop()!;
  for (const line of readFileSync(path.join(datasetDir, "catalog.jsonl"), "utf8").split("\n")) {
    if (!line.trim()) continue;
    const p = JSON.parse(line) as Node;
    const label = labels.get(p.id);
    const id = num(p.id);
    categories.set(id, label?.category ?? "");
    const colours = (label?.colors ?? []).map((c) => c.toLowerCase());
    const heldBack = label?.queryColor?.toLowerCase();
    const photos = p.media?.nodes ?? [];
    if (!label?.queryImage || !heldBack || !colours.includes(heldBack) || photos.length === 0) {
      out.push(line);
      continue;
    }
    const otherColour = colours.length >= 2;
    const twinId = String(Number(id) + TWIN_OFFSET);
    categories.set(twinId, label.category);
    const colourName = heldBack[0].toUpperCase() + heldBack.slice(1);
    // The featured photo's product: its other photos may show other colours (luma-dev's last photo often does).
    const variants = (p.variants?.nodes ?? []).filter((v) => !otherColour || String(v.title).toLowerCase() !== heldBack);
    const tags = (p.tags ?? []).filter((t) => !otherColour || t.toLowerCase() !== heldBack);
    out.push(JSON.stringify({ ...p, tags, media: { nodes: [photos[0]] }, variants: { nodes: variants } }));
    const v0 = (p.variants?.nodes ?? [])[0] ?? {};
    out.push(
      JSON.stringify({
        ...p,
        id: `gid://shopify/Product/${twinId}`,
        legacyResourceId: twinId,
        handle: `${p.handle}-${heldBack}`,
        title: `${p.title} - ${colourName}`,
        tags: [...(p.tags ?? []).filter((t) => !colours.includes(t.toLowerCase())), colourName],
        media: { nodes: [{ id: `gid://shopify/MediaImage/${twinId}00`, mediaContentType: "IMAGE", alt: p.title, image: { url: label.queryImage, altText: p.title } }] },
        variants: { nodes: [{ ...v0, id: `gid://shopify/ProductVariant/${twinId}00`, title: colourName, selectedOptions: [{ name: "Color", value: colourName }] }] },
      }),
    );
    cases.push({ productId: id, twinId, otherColour, category: label.category }, { productId: twinId, twinId: id, otherColour, category: label.category });
  }
  const file = path.join(outDir, "catalog.jsonl");
  writeFileSync(file, out.join("\n") + "\n");
  return { file, cases, categories, products: out.length };
}
