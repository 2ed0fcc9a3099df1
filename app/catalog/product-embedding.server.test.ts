import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../../test/support/databases";
import { createPrismaClient, type Db } from "../db.server";
import { createImageEmbedder, type ImageEmbedder } from "../embedding/image/image-embedder.server";
import { prepareImage } from "../embedding/image/image-preprocess.server";
import { createHashedTextEmbedder } from "../embedding/text/text-embedder.server";
import { dot, fromBytes, unpackVectors } from "../embedding/vector-codec";
import { imageVectorKey, MAX_PRODUCT_IMAGES } from "../embedding/vector-versions";
import { defaultImageFetchPolicy, ImageFetchError } from "./image-fetch.server";
import { embedProduct, meanVector } from "./product-embedding.server";
import { parseProductNode } from "./product-node";
import { ensureShop, upsertProduct } from "./product-repository.server";

const shop = "embed.myshopify.com";
const photoDir = mkdtempSync(path.join(os.tmpdir(), "embed-photos-"));
const photos: string[] = [];
let embedder: ImageEmbedder;

beforeAll(async () => {
  // Six different product photos (a coloured shape on a white studio background).
  const colours = ["#c0392b", "#2980b9", "#27ae60", "#8e44ad", "#f39c12", "#2c3e50"];
  for (const [i, colour] of colours.entries()) {
    const file = path.join(photoDir, `p${i}.png`);
    const shape = i % 2 ? `<circle cx="120" cy="120" r="${60 + i * 8}" fill="${colour}"/>` : `<rect x="${40 + i * 5}" y="50" width="${100 + i * 10}" height="140" fill="${colour}"/>`;
    await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240"><rect width="240" height="240" fill="#fff"/>${shape}</svg>`)).png().toFile(file);
    photos.push(pathToFileURL(file).href);
  }
  embedder = await createImageEmbedder({ modelsDir: path.resolve("models") });
});

afterAll(async () => {
  await embedder?.close();
  rmSync(photoDir, { recursive: true, force: true });
});

describe.each(await databaseKinds())("per-photo image vectors on %s", (kind) => {
  let database: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    db = createPrismaClient(database.url);
    await ensureShop(db, shop);
  });
  afterAll(async () => {
    await db?.$disconnect();
    await database?.drop();
  });

  const deps = () => ({ db, embedder, textEmbedder: createHashedTextEmbedder(), fetchPolicy: defaultImageFetchPolicy({ NODE_ENV: "test" }) });
  const node = (id: string, urls: string[]) =>
    parseProductNode({ id: `gid://shopify/Product/${id}`, title: "Tee", updatedAt: "2026-01-01T00:00:00Z", media: { nodes: urls.map((url) => ({ image: { url } })) } });

  it(`stores each of the first ${MAX_PRODUCT_IMAGES} photos' vectors, and they read back exactly as embedded`, async () => {
    await upsertProduct(db, shop, node("1", photos), "import");
    const result = await embedProduct(deps(), shop, "1");
    expect(result).toMatchObject({ status: "embedded", images: MAX_PRODUCT_IMAGES });

    const row = await db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: shop, id: "1" } } });
    const stored = unpackVectors(row.imageVectors!, embedder.dim);
    expect(stored).toHaveLength(MAX_PRODUCT_IMAGES);
    // The same photos embedded directly: identical vectors, in photo order.
    const direct = await embedder.embed(await Promise.all(photos.slice(0, MAX_PRODUCT_IMAGES).map(async (u) => prepareImage(await readFile(new URL(u))))));
    stored.forEach((v, i) => {
      expect(dot(v, direct[i])).toBeCloseTo(1, 4);
      expect(Math.hypot(...v)).toBeCloseTo(1, 4);
    });
    expect(dot(stored[0], stored[1])).toBeLessThan(0.999); // distinct photos, not one vector repeated
    // The product's mean vector (similar products) is the mean of the same photos.
    expect(dot(fromBytes(row.imageVector!), meanVector(stored))).toBeCloseTo(1, 5);
    expect(row.vectorImageHash).toBe(imageVectorKey(row.imageHash));
  });

  it("re-embeds a row stored with the older single-vector recipe", async () => {
    await upsertProduct(db, shop, node("2", photos.slice(0, 2)), "import");
    expect((await embedProduct(deps(), shop, "2")).status).toBe("embedded");
    // As a row embedded before per-photo vectors: no imageVectors, image hash without the recipe suffix.
    const before = await db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: shop, id: "2" } } });
    await db.product.update({ where: { shopDomain_id: { shopDomain: shop, id: "2" } }, data: { imageVectors: null, vectorImageHash: before.imageHash } });

    expect((await embedProduct(deps(), shop, "2")).status).toBe("embedded");
    const row = await db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: shop, id: "2" } } });
    expect(unpackVectors(row.imageVectors!, embedder.dim)).toHaveLength(2);
    expect((await embedProduct(deps(), shop, "2")).status).toBe("skipped"); // and then it is current
  });
  it("a photo the network or its host failed to deliver for a moment (reset, refused, 5xx) leaves the product pending and the job retries; a missing photo (404) fails the product", async () => {
    // A host that resets the first connection, answers 503 to the next request, then serves the photo.
    const bytes = await readFile(new URL(photos[0]));
    let requests = 0;
    const server = createServer((req, res) => {
      requests++;
      if (req.url === "/missing.png") return void res.writeHead(404).end();
      if (requests === 1) return void req.socket.destroy();
      if (requests === 2) return void res.writeHead(503).end();
      res.writeHead(200, { "Content-Type": "image/png" }).end(bytes);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      await upsertProduct(db, shop, node("3", [`${base}/p.png`]), "shopify");
      const state = async () => (await db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: shop, id: "3" } } })).embedState;
      for (const attempt of [1, 2]) {
        const err = await embedProduct(deps(), shop, "3").then(() => null, (e: unknown) => e);
        expect(err, `attempt ${attempt}`).toBeInstanceOf(ImageFetchError);
        expect((err as ImageFetchError).transient).toBe(true);
        expect(await state()).toBe("pending");
      }
      expect(await embedProduct(deps(), shop, "3")).toMatchObject({ status: "embedded", images: 1 });

      // One photo of two fails for a moment: the job retries while attempts remain; the last
      // attempt embeds the product from the photo that came, naming the other.
      await upsertProduct(db, shop, node("5", [photos[1], `${base}/flaky.png`]), "import");
      requests = 0;
      const partial = await embedProduct(deps(), shop, "5", { finalAttempt: false }).then(() => null, (e: unknown) => e);
      expect(partial).toBeInstanceOf(ImageFetchError);
      expect(await db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: shop, id: "5" } } })).toMatchObject({ embedState: "pending" });
      requests = 0;
      expect(await embedProduct(deps(), shop, "5", { finalAttempt: true })).toMatchObject({ status: "embedded", images: 1 });
      expect((await db.product.findUniqueOrThrow({ where: { shopDomain_id: { shopDomain: shop, id: "5" } } })).embedError).toMatch(/some images skipped: .*flaky\.png/);

      await upsertProduct(db, shop, node("4", [`${base}/missing.png`]), "shopify");
      expect(await embedProduct(deps(), shop, "4")).toMatchObject({ status: "failed", reason: expect.stringMatching(/no usable product image .*HTTP 404/) });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
