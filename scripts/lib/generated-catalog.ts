/**
 * A small catalog the project generates itself (for machines without ../shared/datasets):
 * products of a few shapes in a few colours, with PNG (or small JPEG) photos drawn by sharp on a
 * studio-white background, written as an Admin GraphQL Product JSONL file.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";

const COLORS: [name: string, hex: string][] = [["Red", "#c0392b"], ["Blue", "#2e5c9a"], ["Green", "#3c8d5a"], ["Black", "#222222"], ["Yellow", "#e0b52b"], ["Pink", "#d77fa1"]];
const SHAPES: { type: string; title: string; svg: (fill: string) => string }[] = [
  { type: "T-Shirts", title: "Crew Tee", svg: (f) => `<path d="M70 60 L110 40 L150 40 L190 60 L220 100 L190 115 L180 100 L180 220 L80 220 L80 100 L70 115 L40 100 Z" fill="${f}"/>` },
  { type: "Bags", title: "Tote Bag", svg: (f) => `<path d="M95 90 Q130 30 165 90" stroke="${f}" stroke-width="10" fill="none"/><rect x="60" y="90" width="140" height="130" rx="8" fill="${f}"/>` },
  { type: "Mugs", title: "Stoneware Mug", svg: (f) => `<rect x="70" y="70" width="100" height="130" rx="10" fill="${f}"/><path d="M170 100 Q215 110 170 170" stroke="${f}" stroke-width="14" fill="none"/>` },
  { type: "Watches", title: "Field Watch", svg: (f) => `<rect x="112" y="30" width="36" height="200" rx="8" fill="#777"/><circle cx="130" cy="130" r="55" fill="${f}"/><circle cx="130" cy="130" r="42" fill="#fafafa"/>` },
];

/** The photos of a generated catalog. Default: the 24 drawings (every shape in every colour) as 260×260 PNGs. */
export interface GeneratedPhotos {
  /** How many distinct photos (products share them round-robin); past 24, each round of 24 is moved, scaled and tinted. */
  distinct?: number;
  /** Width and height in pixels. */
  size?: number;
  format?: "png" | "jpeg";
}

/**
 * Writes `count` products (default 24: every shape in every colour once; more products repeat
 * the drawings under new ids, titles and prices — enough for throughput benchmarks). Product n
 * shows photo (n - 1) % distinct: its shape and colour are in its title, type and tags.
 */
export async function generateCatalog(dir: string, count = SHAPES.length * COLORS.length, photos: GeneratedPhotos = {}): Promise<string> {
  const base = SHAPES.length * COLORS.length;
  const distinct = Math.max(1, photos.distinct ?? base);
  const size = photos.size ?? 260;
  const format = photos.format ?? "png";
  await mkdir(path.join(dir, "images"), { recursive: true });
  const lines: string[] = [];
  for (let n = 1; n <= count; n++) {
    const k = (n - 1) % distinct; // the photo this product shows
    const shape = SHAPES[Math.floor(k / COLORS.length) % SHAPES.length];
    const [colorName, hex] = COLORS[k % COLORS.length];
    const id = String(9_100_000_000 + n);
    const image = `images/${9_100_000_000 + k + 1}.${format === "png" ? "png" : "jpg"}`;
    if (n === k + 1) {
      // Round 0 is the plain drawing; later rounds move, scale and tint it, so every photo differs.
      const round = Math.floor(k / base);
      const scale = round === 0 ? 1 : 0.7 + 0.06 * (round % 6);
      const dx = round === 0 ? 0 : ((round * 37) % 61) - 30;
      const dy = round === 0 ? 0 : ((round * 23) % 61) - 30;
      const bg = round === 0 ? "#ffffff" : `rgb(${255 - (round % 4) * 10},${255 - (round % 3) * 10},${255 - (round % 5) * 8})`;
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 260 260"><rect width="260" height="260" fill="${bg}"/>${round === 0 ? shape.svg(hex) : `<g transform="translate(${130 + dx} ${130 + dy}) scale(${scale}) translate(-130 -130)">${shape.svg(hex)}</g>`}</svg>`;
      const img = sharp(Buffer.from(svg));
      await (format === "png" ? img.png() : img.jpeg({ quality: 85 })).toFile(path.join(dir, image));
    }
    const price = (12 + ((n * 7) % 60)).toFixed(2);
    lines.push(
      JSON.stringify({
        id: `gid://shopify/Product/${id}`,
        handle: `${colorName}-${shape.title}${n > base ? `-${n}` : ""}`.toLowerCase().replace(/\s+/g, "-"),
        title: `${colorName} ${shape.title}${n > base ? ` No. ${n}` : ""}`,
        descriptionHtml: `<p>A ${colorName.toLowerCase()} ${shape.title.toLowerCase()} from the Lookalike sample catalog.</p>`,
        productType: shape.type,
        vendor: "Lookalike Samples",
        tags: [colorName, shape.type],
        status: "ACTIVE",
        updatedAt: "2026-01-01T00:00:00Z",
        priceRangeV2: { minVariantPrice: { amount: price, currencyCode: "USD" }, maxVariantPrice: { amount: price, currencyCode: "USD" } },
        totalInventory: 10,
        media: { nodes: [{ image: { url: image, altText: `${colorName} ${shape.title}`, width: size, height: size } }] },
        variants: { nodes: [{ id: `gid://shopify/ProductVariant/${id}0`, title: "Default", price, availableForSale: true, selectedOptions: [] }] },
      }),
    );
  }
  const file = path.join(dir, "catalog.jsonl");
  await writeFile(file, lines.join("\n") + "\n");
  return file;
}
