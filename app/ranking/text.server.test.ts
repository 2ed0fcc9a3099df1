/**
 * The optional models end to end, through the product's own services: products are embedded by
 * the embedding service (app/catalog/product-embedding.server.ts) with the embedders the
 * configuration asks for (configured-embedders.server.ts, reading verified files from a models
 * dir), loaded by LiveCatalogs from the database, and found by text search (and photo search).
 *
 * CLIP and MiniLM weights cannot be downloaded on this project's machines, so the models dir holds
 * tiny ONNX models with the real exports' input/output names, dtypes and shapes
 * (test/support/tiny-onnx-models.ts), and this test sets the registry's SHA-256 pins to those files (restored
 * afterwards): what is proven is the wiring, not the real models' quality. The default image model
 * is the real MobileNetV2 when `npm run setup` has derived it (else the colour fallback).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../../test/support/databases";
import { defaultImageFetchPolicy } from "../catalog/image-fetch.server";
import { embedProduct } from "../catalog/product-embedding.server";
import { parseProductNode } from "../catalog/product-node";
import { bumpCatalogVersion, ensureShop, upsertProduct } from "../catalog/product-repository.server";
import { createPrismaClient, type Db } from "../db.server";
import { COLOR_DIM } from "../embedding/image/color-signature.server";
import { createConfiguredImageEmbedder, createConfiguredTextEmbedder } from "../embedding/configured-embedders.server";
import { COLOR_FALLBACK_MODEL_ID, type ImageEmbedder } from "../embedding/image/image-embedder.server";
import { prepareImage } from "../embedding/image/image-preprocess.server";
import type { ImageModelChoice, TextModelChoice } from "../embedding/models/model-choice";
import { sha256Hex } from "../embedding/models/model-files.server";
import {
  CLIP_IMAGE_MODEL_ID,
  CLIP_TEXT_MODEL_ID,
  DEFAULT_IMAGE_MODEL_ID,
  MINILM_TEXT_MODEL_ID,
  getModelSpec,
  getTextModelSpec,
  type PinnedFile,
} from "../embedding/models/model-registry";
import type { TextEmbedder } from "../embedding/text/text-embedder.server";
import { textChannelDim, textQueryVector } from "../embedding/text/text-channel";
import { TEXT_DIM, textVector } from "../embedding/text/text-vector";
import { dot, fromBytes, toBytes, unpackVectors } from "../embedding/vector-codec";
import { HASHED_TEXT_MODEL_ID, textVectorKey } from "../embedding/vector-versions";
import { TINY_BERT_VOCAB_TXT, randomFloats, tinyBertModel, tinyClipTextModel, tinyClipVisionModel, tinyClipVocab } from "../../test/support/tiny-onnx-models";
import { photoSearch } from "./photo.server";
import { LiveCatalogs } from "../live-index/live-catalogs.server";
import { textSearch, textSearchChannel } from "./text.server";

const shop = "models.myshopify.com";
const tmp = mkdtempSync(path.join(os.tmpdir(), "lookalike-models-e2e-"));
const modelsDir = path.join(tmp, "models");

/** Three products, each with its own words and its own photo. */
const PRODUCTS = [
  { id: "1", title: "Hello cafe", colour: "#c0392b", shape: "circle" },
  { id: "2", title: "Running lowest", colour: "#2980b9", shape: "rect" },
  { id: "3", title: "Unwanted want", colour: "#27ae60", shape: "rect" },
] as const;
const photoUrl = new Map<string, string>();

// --- the models dir: tiny CLIP and MiniLM exports where the configured loader looks, pins set to them

const pinned: { file: PinnedFile; sha256: string; sizeBytes: number }[] = [];
function install(file: PinnedFile, bytes: Buffer | string): void {
  const buf = Buffer.from(bytes);
  const p = path.join(modelsDir, file.fileName);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, buf);
  pinned.push({ file, sha256: file.sha256, sizeBytes: file.sizeBytes });
  file.sha256 = sha256Hex(buf);
  file.sizeBytes = buf.length;
}

beforeAll(async () => {
  mkdirSync(modelsDir, { recursive: true });
  const clipVision = getModelSpec(CLIP_IMAGE_MODEL_ID);
  install(clipVision, tinyClipVisionModel(clipVision.dim, randomFloats(3 * clipVision.dim, 11)));
  const clipText = getTextModelSpec(CLIP_TEXT_MODEL_ID);
  const clipVocab = tinyClipVocab();
  const V = Object.keys(clipVocab.vocab).length;
  install(clipText, tinyClipTextModel(V, clipText.dim, randomFloats(V * clipText.dim, 7)));
  install(clipText.tokenizerFile, JSON.stringify({ model: { type: "BPE", vocab: clipVocab.vocab, merges: clipVocab.merges } }));
  const minilm = getTextModelSpec(MINILM_TEXT_MODEL_ID);
  const B = TINY_BERT_VOCAB_TXT.trim().split("\n").length;
  const D = minilm.dim;
  install(minilm, tinyBertModel(B, D, randomFloats(B * D, 5), randomFloats(2 * D, 6), randomFloats(D, 8)));
  install(minilm.tokenizerFile, TINY_BERT_VOCAB_TXT);
  // The real default image model, when setup has made it (the default path is the product's own).
  const mobilenet = path.resolve("models", getModelSpec(DEFAULT_IMAGE_MODEL_ID).fileName);
  if (existsSync(mobilenet)) symlinkSync(mobilenet, path.join(modelsDir, getModelSpec(DEFAULT_IMAGE_MODEL_ID).fileName));

  for (const p of PRODUCTS) {
    const file = path.join(tmp, `p${p.id}.png`);
    const shape = p.shape === "circle" ? `<circle cx="120" cy="120" r="80" fill="${p.colour}"/>` : `<rect x="50" y="40" width="140" height="160" fill="${p.colour}"/>`;
    await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240"><rect width="240" height="240" fill="#fff"/>${shape}</svg>`)).png().toFile(file);
    photoUrl.set(p.id, pathToFileURL(file).href);
  }
});

afterAll(() => {
  for (const { file, sha256, sizeBytes } of pinned.reverse()) Object.assign(file, { sha256, sizeBytes });
  rmSync(tmp, { recursive: true, force: true });
});

async function configured(text: TextModelChoice, image: ImageModelChoice) {
  const t = await createConfiguredTextEmbedder(text, { modelsDir, intraOpThreads: 1 });
  const i = await createConfiguredImageEmbedder(image, { modelsDir, intraOpThreads: 1 });
  expect(t.warning).toBeUndefined();
  expect(i.warning).toBeUndefined();
  return { text: t.embedder, image: i.embedder };
}

/** A web process' live catalogs for these embedders, as app/web-services.server.ts makes them. */
function liveCatalogs(db: Db, dataDir: string, m: { text: TextEmbedder; image: ImageEmbedder }) {
  return new LiveCatalogs({ db, dataDir, imageModelId: m.image.modelId, imageDim: m.image.dim, textModelId: m.text.modelId, textDim: m.text.dim });
}

describe.each(await databaseKinds())("optional models through the product's services on %s", (kind) => {
  let database: TestDatabase;
  let db: Db;
  const dataDir = path.join(tmp, `data-${kind}`);
  const open: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    db = createPrismaClient(database.url);
    await ensureShop(db, shop);
    for (const p of PRODUCTS) {
      const node = { id: `gid://shopify/Product/${p.id}`, title: p.title, updatedAt: "2026-01-01T00:00:00Z", media: { nodes: [{ image: { url: photoUrl.get(p.id) } }] } };
      await upsertProduct(db, shop, parseProductNode(node), "import");
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await db?.$disconnect();
    await database?.drop();
  });

  async function embedAll(m: { text: TextEmbedder; image: ImageEmbedder }): Promise<void> {
    const deps = { db, embedder: m.image, textEmbedder: m.text, fetchPolicy: defaultImageFetchPolicy({ NODE_ENV: "test" }) };
    for (const p of PRODUCTS) expect(await embedProduct(deps, shop, p.id)).toMatchObject({ status: "embedded" });
    await bumpCatalogVersion(db, shop);
  }

  const row = (id: string) => db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: shop, id } } });

  it("default config (hashed text, MobileNetV2): byte-identical text vectors, unchanged keys and dimensions", async () => {
    const m = await configured("hashed", "mobilenetv2");
    open.push(m.text, m.image);
    expect(m.text.modelId).toBe(HASHED_TEXT_MODEL_ID);
    expect([DEFAULT_IMAGE_MODEL_ID, COLOR_FALLBACK_MODEL_ID]).toContain(m.image.modelId);
    await embedAll(m);
    for (const p of PRODUCTS) {
      const r = await row(p.id);
      // What the embedding service stored before text models existed, byte for byte.
      const before = toBytes(textVector({ title: r.title, productType: r.productType, vendor: r.vendor, tags: JSON.parse(r.tags), description: r.descriptionText }));
      expect(Buffer.from(r.textVector!).equals(Buffer.from(before))).toBe(true);
      expect(r.vectorTextHash).toBe(`${r.textHash}.t2`);
      expect(r.modelId).toBe(m.image.modelId);
    }

    const catalogs = liveCatalogs(db, dataDir, m);
    const catalog = await catalogs.get(shop);
    const dims = { image: m.image.modelId === DEFAULT_IMAGE_MODEL_ID ? 1280 : COLOR_DIM, color: COLOR_DIM, text: textChannelDim(TEXT_DIM) };
    expect(catalog.index.dims).toEqual(dims);
    // The same as a LiveCatalogs made as before (no text model options).
    const legacy = await new LiveCatalogs({ db, dataDir: path.join(tmp, `legacy-${kind}`), imageModelId: m.image.modelId, imageDim: m.image.dim }).get(shop);
    expect(legacy.index.dims).toEqual(dims);

    expect(textSearchChannel(m.text.modelId, m.image.modelId)).toBe("text");
    const hits = await textSearch(catalog, { text: m.text, imageModelId: m.image.modelId }, "hello cafe", 3, {});
    expect(hits[0].id).toBe("1");
    // Exactly what /proxy/search computed before: the hashed vector of the words as a title (against
    // the text part of the channel), scored by its cosine with the product's text.
    expect(hits).toEqual(catalog.index.searchByVectors({ text: textQueryVector(textVector({ title: "hello cafe" })) }, { k: 3, filter: {} }));
    await catalogs.save(catalog);
    await catalogs.close();
  }, 60_000);

  it("TEXT_MODEL=minilm: the text key changes (re-embed), the index rebuilds at 384-d without mixing, text search finds the product", async () => {
    const m = await configured("minilm", "mobilenetv2");
    open.push(m.text, m.image);
    expect(m.text.modelId).toBe(MINILM_TEXT_MODEL_ID);
    expect(m.text.dim).toBe(384);

    // The web process restarts with the new model before the worker re-embedded anything: the
    // saved 512-d snapshot is not used, rows with hashed text vectors join without a text channel.
    const catalogs = liveCatalogs(db, dataDir, m);
    let catalog = await catalogs.get(shop);
    expect(catalog.index.dims.text).toBe(textChannelDim(384));
    expect(catalog.cards.size).toBe(PRODUCTS.length);
    const early = await textSearch(catalog, { text: m.text, imageModelId: m.image.modelId }, "hello cafe", 3, {});
    for (const h of early) expect(h.contributions.text).toBe(0);

    const imageBefore = (await row("1")).imageVector;
    await embedAll(m);
    const r = await row("1");
    expect(r.vectorTextHash).toBe(textVectorKey(r.textHash, MINILM_TEXT_MODEL_ID));
    expect(fromBytes(r.textVector!).length).toBe(384);
    expect(Buffer.from(r.imageVector!).equals(Buffer.from(imageBefore!))).toBe(true); // same image model: images untouched

    catalogs.markDirty(shop);
    catalog = await catalogs.get(shop);
    const hits = await textSearch(catalog, { text: m.text, imageModelId: m.image.modelId }, "hello cafe", 3, {});
    expect(hits[0].id).toBe("1");
    expect(hits[0].contributions.text).toBeGreaterThan(0);
    await catalogs.save(catalog);
    await catalogs.close();

    // And back to the default: the 384-d snapshot is refused, the index is 512-d again, no crash.
    const hashed = await createConfiguredTextEmbedder("hashed", { modelsDir });
    const back = await liveCatalogs(db, dataDir, { text: hashed.embedder, image: m.image }).get(shop);
    expect(back.index.dims.text).toBe(textChannelDim(TEXT_DIM));
    expect(back.cards.size).toBe(PRODUCTS.length);
    // A restart on the same model loads its own snapshot.
    const again = await liveCatalogs(db, dataDir, m).get(shop);
    expect(again.index.dims.text).toBe(textChannelDim(384));
    expect((await textSearch(again, { text: m.text, imageModelId: m.image.modelId }, "hello cafe", 3, {}))[0].id).toBe("1");
  }, 60_000);

  it("TEXT_MODEL=clip + IMAGE_MODEL=clip: images re-embedded at 512-d with CLIP's crop, and /proxy/search's words are matched against the photos", async () => {
    const m = await configured("clip", "clip");
    open.push(m.text, m.image);
    expect([m.image.modelId, m.image.dim, m.text.modelId, m.text.dim]).toEqual([CLIP_IMAGE_MODEL_ID, 512, CLIP_TEXT_MODEL_ID, 512]);
    await embedAll(m);

    // The stored photo vectors are CLIP's, from images prepared for CLIP (cover-centre, CLIP mean/std).
    const photos = new Map<string, Float32Array>();
    for (const p of PRODUCTS) {
      const r = await row(p.id);
      expect(r.modelId).toBe(CLIP_IMAGE_MODEL_ID);
      expect(r.vectorTextHash).toBe(textVectorKey(r.textHash, CLIP_TEXT_MODEL_ID));
      const [stored] = unpackVectors(r.imageVectors!, 512);
      const [direct] = await m.image.embed([await prepareImage(await readFile(new URL(photoUrl.get(p.id)!)), { model: m.image.spec })]);
      expect(dot(stored, direct)).toBeCloseTo(1, 5);
      photos.set(p.id, stored);
    }
    const [mobilenetPrepared] = [await prepareImage(await readFile(new URL(photoUrl.get("1")!)))];
    const [clipPrepared] = [await prepareImage(await readFile(new URL(photoUrl.get("1")!)), { model: m.image.spec })];
    expect(Array.from(clipPrepared.tensor.subarray(0, 8))).not.toEqual(Array.from(mobilenetPrepared.tensor.subarray(0, 8)));

    const catalogs = liveCatalogs(db, dataDir, m);
    const catalog = await catalogs.get(shop);
    expect(catalog.index.dims).toEqual({ image: 512, color: COLOR_DIM, text: textChannelDim(512) });
    expect(catalog.images.dim).toBe(512);

    // Text to image: the query is embedded by CLIP's text tower and compared with the photos.
    expect(textSearchChannel(m.text.modelId, m.image.modelId)).toBe("image");
    const q = "lowest";
    const [qv] = await m.text.embedTexts([q]);
    const hits = await textSearch(catalog, { text: m.text, imageModelId: m.image.modelId }, q, 3, {});
    const want = PRODUCTS.map((p) => ({ id: p.id, score: dot(qv, photos.get(p.id)!) })).sort((a, b) => b.score - a.score);
    expect(hits.map((h) => h.id)).toEqual(want.map((w) => w.id));
    hits.forEach((h, i) => {
      expect(h.score).toBeCloseTo(want[i].score, 4);
      expect(h.contributions).toEqual({ image: h.score, color: 0, text: 0 });
    });

    // Photo search with the CLIP image tower: a product's own photo finds it first.
    const shopperPhoto = await prepareImage(await readFile(new URL(photoUrl.get("2")!)), { model: m.image.spec });
    expect((await photoSearch(catalog, m.image, shopperPhoto, 3, {}))[0].id).toBe("2");
    await catalogs.close();
  }, 60_000);

  it("TEXT_MODEL=clip alone (MobileNetV2 images): CLIP text vectors in the text channel, searched as text", async () => {
    const m = await configured("clip", "mobilenetv2");
    open.push(m.text, m.image);
    await embedAll(m);
    const catalog = await liveCatalogs(db, dataDir, m).get(shop);
    expect(catalog.index.dims.text).toBe(textChannelDim(512));
    expect(catalog.index.dims.image).toBe(m.image.dim);
    expect(textSearchChannel(m.text.modelId, m.image.modelId)).toBe("text");
    const hits = await textSearch(catalog, { text: m.text, imageModelId: m.image.modelId }, "Hello cafe.", 3, {});
    expect(hits[0].id).toBe("1");
    expect(hits[0].contributions.image).toBe(0);
  }, 60_000);
});
