/**
 * The web tier of the fault runs (issue 21): web processes (server.ts over the production build),
 * each with its own port and DATA_DIR as another machine has, sharing one database and one Redis
 * namespace, behind Debian's HAProxy with the checked-in config; shops of embedded products written
 * as the worker leaves them; signed storefront requests through the load balancer and an open loop
 * of them. Used by test/faults/*.fault.ts.
 */
import { createPrismaClient } from "../../app/db.server";
import { COLOR_DIM } from "../../app/embedding/image/color-signature.server";
import { DEFAULT_IMAGE_MODEL_ID, getModelSpec } from "../../app/embedding/models/model-registry";
import { TEXT_DIM } from "../../app/embedding/text/text-vector";
import { appEnv, freePort, startWeb, type AppEnv, type RunningProcess } from "../../scripts/lib/app-processes";
import { startHaproxy, type RunningHaproxy } from "../../scripts/lib/haproxy";
import { syntheticCatalog } from "../../scripts/lib/synthetic-catalog";
import { embeddedRows } from "../../scripts/lib/synthetic-rows";
import { signedUrl } from "./app-proxy-client";

/** Product ids of the seeded shops: `idBase + j` for j < perShop. */
export const SEEDED_ID_BASE = 7_000_000;

/** Writes `shops`, each with `perShop` embedded products (vectors in the rows, catalog version 1). */
export async function seedEmbeddedShops(databaseUrl: string, shops: string[], perShop: number, seed = 500): Promise<void> {
  const db = createPrismaClient(databaseUrl);
  try {
    const spec = getModelSpec(DEFAULT_IMAGE_MODEL_ID);
    const now = new Date();
    for (const [si, shop] of shops.entries()) {
      await db.shop.create({ data: { domain: shop, catalogVersion: 1 } });
      const products = syntheticCatalog({ n: perShop, dims: { image: spec.dim, color: COLOR_DIM, text: TEXT_DIM }, clusters: 5, seed: seed + si });
      await db.product.createMany({ data: embeddedRows(shop, products, { modelId: spec.id, now, idOf: (j) => String(SEEDED_ID_BASE + j) }) });
    }
  } finally {
    await db.$disconnect();
  }
}

export interface WebNode {
  /** HAProxy's name for it: web1, web2, … */
  name: string;
  app: AppEnv;
  web: RunningProcess;
}

export class WebTier {
  readonly nodes: WebNode[] = [];
  lb?: RunningHaproxy;
  lbUrl = "";
  private namespace = "";

  private constructor(
    private readonly databaseUrl: string,
    private readonly env: Record<string, string>,
  ) {}

  /** `count` web nodes behind HAProxy; `env` is added to every node's environment. */
  static async start(databaseUrl: string, count: number, env: Record<string, string> = {}): Promise<WebTier> {
    const tier = new WebTier(databaseUrl, env);
    for (let i = 0; i < count; i++) await tier.startNode();
    const port = await freePort();
    tier.lbUrl = `http://127.0.0.1:${port}`;
    tier.lb = await startHaproxy(
      port,
      tier.nodes.map((n) => ({ name: n.name, port: n.app.port })),
    );
    return tier;
  }

  /** Starts one more web node (its own port and DATA_DIR, the tier's Redis namespace); not in HAProxy until `join`. */
  async startNode(): Promise<WebNode> {
    const app = await appEnv(this.databaseUrl, this.env);
    this.namespace ||= app.env.REDIS_NAMESPACE!;
    app.env.REDIS_NAMESPACE = this.namespace;
    const node: WebNode = { name: `web${this.nodes.length + 1}`, app, web: await startWeb(app) };
    this.nodes.push(node);
    return node;
  }

  /** Adds a running node to HAProxy's backend through its runtime API (no reload). */
  async join(node: WebNode): Promise<void> {
    await this.lb!.addServer({ name: node.name, port: node.app.port });
  }

  node(name: string): WebNode {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no web node ${name}`);
    return node;
  }

  async stop(): Promise<void> {
    await this.lb?.stop();
    await Promise.all(this.nodes.map((n) => n.web.stop()));
    for (const n of this.nodes) await n.app.cleanup().catch(() => {});
  }
}

export interface Answer {
  shop: string;
  status: number;
  /** The node that answered (HAProxy's X-Lookalike-Node), "" without an answer. */
  node: string;
  ids: string[];
  /** Status, node and the body's start, or the network error, for anything but a 200. */
  error?: string;
}

/** One signed /proxy/similar request through `baseUrl`; network errors are an answer with status 0. */
export async function askSimilar(baseUrl: string, shop: string, productId: string, limit = 4): Promise<Answer> {
  try {
    const res = await fetch(signedUrl(baseUrl, "similar", shop, { product_id: productId, limit: String(limit) }), { signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    let body: { products?: { id: string }[] } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // not JSON: an error page
    }
    const node = res.headers.get("x-lookalike-node") ?? "";
    return { shop, status: res.status, node, ids: (body.products ?? []).map((p) => p.id), ...(res.status === 200 ? {} : { error: `${res.status} ${node} ${text.slice(0, 80)}` }) };
  } catch (err) {
    return { shop, status: 0, node: "", ids: [], error: String((err as { cause?: { code?: string } }).cause?.code ?? err) };
  }
}

export interface Timed<T> {
  value: T;
  /** performance.now() when it was sent and when its answer came. */
  sentAt: number;
  doneAt: number;
}

/**
 * An open loop: request `i` is sent at start + i/rate s whatever the answers do, for `seconds`;
 * `before(elapsedMs)` runs before each send (where a test kills or adds a node). Resolves with every
 * answer once all have come.
 */
export async function openLoop<T>(rate: number, seconds: number, send: (i: number) => Promise<T>, before: (elapsedMs: number) => void = () => {}): Promise<Timed<T>[]> {
  const pending: Promise<Timed<T>>[] = [];
  const start = performance.now();
  for (let i = 0; i < rate * seconds; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    before(performance.now() - start);
    const sentAt = performance.now();
    pending.push(send(i).then((value) => ({ value, sentAt, doneAt: performance.now() })));
  }
  return Promise.all(pending);
}

/** Each shop's node now: one request per shop, one at a time (no bounded-load spill). */
export async function placement(baseUrl: string, shops: string[], productId = String(SEEDED_ID_BASE)): Promise<Map<string, Answer>> {
  const out = new Map<string, Answer>();
  for (const shop of shops) out.set(shop, await askSimilar(baseUrl, shop, productId));
  return out;
}
