/**
 * A local fake of Shopify's Admin GraphQL API, as a real HTTP server, for tests and benchmarks.
 * - Serves products from a catalog file (Admin GraphQL Product nodes, one per line).
 * - Runs bulk operations (`bulkOperationRunQuery`, `node(id:)`, `currentBulkOperation`) and writes
 *   the JSONL result in Shopify's format: one line per product, then one line per media image
 *   and per variant with `__parentId`.
 * - Reports query cost (`extensions.cost.throttleStatus`) from a leaky bucket.
 * - Injects faults on demand: THROTTLED responses, 5xx, 429, failing (with any error code),
 *   canceled or expiring bulk operations, and result links that no longer work (403, 503, ...).
 * - Serves the catalog's images (as Shopify's CDN would) and can post signed webhooks to the app.
 * - Variants: their own photo (`image.url`, relative paths served like the media's), stock that
 *   tests change (`setVariantAvailable`), and `inventoryItem(id:) { variant { product } }` — an
 *   inventory item's id is its variant's numeric id unless the catalog gives `inventoryItem.id`.
 * The app reaches it through its normal configuration (SHOPIFY_ADMIN_API_BASE_URL).
 */
import { createHmac, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import os from "node:os";
import path from "node:path";
import { once } from "node:events";
import { createInterface } from "node:readline";

export interface FakeAdminApiOptions {
  catalogFile: string;
  accessToken: string;
  /** How long a bulk operation stays RUNNING before it completes. */
  bulkDurationMs?: number;
  /** Where to post bulk_operations/finish (the app's base URL) and with which secret. */
  app?: { baseUrl: string; secret: string; shop: string };
  bucket?: { maximumAvailable: number; restoreRate: number };
}

/** How a bulk operation ends. "FAILED" alone fails with INTERNAL_SERVER_ERROR. */
export type BulkOutcome = "COMPLETED" | "FAILED" | "EXPIRED" | "CANCELED" | { status: "FAILED"; errorCode: "ACCESS_DENIED" | "INTERNAL_SERVER_ERROR" | "TIMEOUT" };

interface Operation {
  id: string;
  status: "CREATED" | "RUNNING" | "COMPLETED" | "FAILED" | "EXPIRED" | "CANCELED";
  errorCode: string | null;
  objectCount: number;
  file?: string;
}

export class FakeAdminApi {
  private server?: Server;
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), "fake-admin-"));
  private readonly ops = new Map<string, Operation>();
  private seq = 0;
  private available: number;
  private lastRefill = Date.now();
  baseUrl = "";
  /**
   * `bulkOutcomes`: how the next bulk operations end, one each, first first; then `bulkOutcome`.
   * `bulkResultStatuses`: what the next downloads of a bulk result answer instead of the file, one
   * each (403: a signed link that has expired; 503: the storage having a bad moment).
   */
  readonly faults = { throttle: 0, serverErrors: 0, tooManyRequests: 0, bulkOutcome: "COMPLETED" as BulkOutcome, bulkOutcomes: [] as BulkOutcome[], bulkResultStatuses: [] as number[] };
  readonly log: { kind: string; status: number }[] = [];
  /** Variant gid → availableForSale set by a test (a sale, a restock), over the catalog file's. */
  private readonly variantAvailability = new Map<string, boolean>();

  constructor(private readonly opts: FakeAdminApiOptions) {
    this.available = opts.bucket?.maximumAvailable ?? 1_000;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res).catch((err) => this.send(res, 500, { errors: [{ message: String(err) }] })));
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this.baseUrl;
  }

  /**
   * What the app's processes need to talk to this fake (call after start): its Admin API address,
   * and leave to fetch product photos from it (a loopback address the production policy refuses).
   */
  appEnv(): Record<string, string> {
    if (!this.baseUrl) throw new Error("FakeAdminApi.appEnv(): start() first");
    return { SHOPIFY_ADMIN_API_BASE_URL: this.baseUrl, IMAGE_HOST_ALLOWLIST: "127.0.0.1", IMAGE_FETCH_ALLOW_PRIVATE: "1" };
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, { "Content-Type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  }

  private throttleStatus() {
    const max = this.opts.bucket?.maximumAvailable ?? 1_000;
    const rate = this.opts.bucket?.restoreRate ?? 50;
    const now = Date.now();
    this.available = Math.min(max, this.available + ((now - this.lastRefill) / 1000) * rate);
    this.lastRefill = now;
    return { maximumAvailable: max, currentlyAvailable: Math.floor(this.available), restoreRate: rate };
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", this.baseUrl);
    if (req.method === "GET" && url.pathname.startsWith("/bulk/")) {
      const op = this.ops.get(`gid://shopify/BulkOperation/${path.basename(url.pathname, ".jsonl")}`);
      const fault = this.faults.bulkResultStatuses.shift();
      this.log.push({ kind: "download", status: fault ?? (op?.file ? 200 : 404) });
      if (fault) {
        // As Google Cloud Storage answers a signed URL past its expiry (or a transient error).
        res.writeHead(fault, { "Content-Type": "application/xml" });
        return void res.end(fault < 500 ? "<Error><Code>ExpiredToken</Code><Message>Invalid argument.</Message></Error>" : "<Error><Code>ServiceUnavailable</Code></Error>");
      }
      if (!op?.file) return this.send(res, 404, { error: "not found" });
      res.writeHead(200, { "Content-Type": "application/jsonl" });
      return void createReadStream(op.file).pipe(res);
    }
    if (req.method === "GET" && url.pathname.startsWith("/files/")) {
      const file = path.resolve(path.dirname(this.opts.catalogFile), decodeURIComponent(url.pathname.slice("/files/".length)));
      if (!file.startsWith(path.dirname(this.opts.catalogFile))) return this.send(res, 403, {});
      try {
        const body = readFileSync(file);
        res.writeHead(200, { "Content-Type": file.endsWith(".png") ? "image/png" : "image/jpeg", "Content-Length": body.length });
        return void res.end(body);
      } catch {
        return this.send(res, 404, {});
      }
    }
    if (req.method !== "POST" || !/^\/admin\/api\/[\w-]+\/graphql\.json$/.test(url.pathname)) return this.send(res, 404, { errors: "Not Found" });
    if (req.headers["x-shopify-access-token"] !== this.opts.accessToken) return this.send(res, 401, { errors: "[API] Invalid API key or access token" });
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const { query, variables } = JSON.parse(raw) as { query: string; variables?: Record<string, unknown> };
    const kind = query.includes("bulkOperationRunQuery")
      ? "run"
      : query.includes("currentBulkOperation")
        ? "current"
        : query.includes("node(id")
          ? "node"
          : query.includes("inventoryItem(id")
            ? "inventoryItem"
            : "other";

    if (this.faults.serverErrors > 0) {
      this.faults.serverErrors--;
      this.log.push({ kind, status: 502 });
      return this.send(res, 502, { errors: "Bad Gateway" });
    }
    if (this.faults.tooManyRequests > 0) {
      this.faults.tooManyRequests--;
      this.log.push({ kind, status: 429 });
      return this.send(res, 429, { errors: "Exceeded 2 calls per second" }, { "Retry-After": "1" });
    }
    const cost = kind === "run" ? 10 : 1;
    const status = this.throttleStatus();
    if (this.faults.throttle > 0 || status.currentlyAvailable < cost) {
      if (this.faults.throttle > 0) this.faults.throttle--;
      this.log.push({ kind, status: 200 });
      return this.send(res, 200, { errors: [{ message: "Throttled", extensions: { code: "THROTTLED" } }], extensions: { cost: { requestedQueryCost: cost, actualQueryCost: null, throttleStatus: { ...status, currentlyAvailable: Math.min(status.currentlyAvailable, cost - 1) } } } });
    }
    this.available -= cost;
    const extensions = { cost: { requestedQueryCost: cost, actualQueryCost: cost, throttleStatus: this.throttleStatus() } };
    this.log.push({ kind, status: 200 });

    if (kind === "run") {
      const running = [...this.ops.values()].find((o) => o.status === "CREATED" || o.status === "RUNNING");
      if (running) return this.send(res, 200, { data: { bulkOperationRunQuery: { bulkOperation: null, userErrors: [{ field: null, message: "A bulk query operation for this app and shop is already in progress: " + running.id }] } }, extensions });
      const op: Operation = { id: `gid://shopify/BulkOperation/${++this.seq}`, status: "CREATED", errorCode: null, objectCount: 0 };
      this.ops.set(op.id, op);
      void this.runOperation(op);
      return this.send(res, 200, { data: { bulkOperationRunQuery: { bulkOperation: { id: op.id, status: op.status }, userErrors: [] } }, extensions });
    }
    const view = (op: Operation | undefined) =>
      op ? { id: op.id, status: op.status, errorCode: op.errorCode, objectCount: String(op.objectCount), url: op.status === "COMPLETED" && op.objectCount > 0 ? `${this.baseUrl}/bulk/${op.id.split("/").pop()}.jsonl` : null } : null;
    if (kind === "node") return this.send(res, 200, { data: { node: view(this.ops.get(String(variables?.id))) }, extensions });
    if (kind === "inventoryItem") return this.send(res, 200, { data: { inventoryItem: await this.inventoryItem(String(variables?.id)) }, extensions });
    if (kind === "current") return this.send(res, 200, { data: { currentBulkOperation: view([...this.ops.values()].pop()) }, extensions });
    return this.send(res, 200, { errors: [{ message: "this fake does not implement that query" }] });
  }

  /** Writes the JSONL exactly as Shopify lays it out, then completes (or fails) the operation. */
  private async runOperation(op: Operation) {
    await new Promise((r) => setTimeout(r, 50));
    op.status = "RUNNING";
    const file = path.join(this.dir, `${op.id.split("/").pop()}.jsonl`);
    const out = createWriteStream(file);
    const write = (obj: unknown) => (out.write(JSON.stringify(obj) + "\n") ? Promise.resolve() : once(out, "drain"));
    const rl = createInterface({ input: createReadStream(this.opts.catalogFile), crlfDelay: Infinity });
    for await (const line of rl) {
      if (!line.trim()) continue;
      const p = JSON.parse(line) as Record<string, unknown> & { media?: { nodes: Record<string, unknown>[] }; variants?: { nodes: Record<string, unknown>[] } };
      const { media, variants, ...product } = p;
      await write(product);
      op.objectCount++;
      const served = this.served(p);
      for (const m of served.media.nodes) {
        await write({ ...m, __parentId: product.id });
        op.objectCount++;
      }
      for (const v of served.variants.nodes) {
        await write({ ...v, __parentId: product.id });
        op.objectCount++;
      }
    }
    out.end();
    await once(out, "finish");
    await new Promise((r) => setTimeout(r, this.opts.bulkDurationMs ?? 200));
    op.file = file;
    const outcome = this.faults.bulkOutcomes.shift() ?? this.faults.bulkOutcome;
    op.status = typeof outcome === "string" ? outcome : outcome.status;
    op.errorCode = typeof outcome === "object" ? outcome.errorCode : op.status === "FAILED" ? "INTERNAL_SERVER_ERROR" : null;
    if (this.opts.app) await this.postWebhook("bulk_operations/finish", { admin_graphql_api_id: op.id, completed_at: new Date().toISOString(), created_at: new Date().toISOString(), error_code: op.errorCode, status: op.status.toLowerCase(), type: "query" }).catch(() => {});
  }

  /** Sets a variant's availableForSale (as a sale or a restock would) for every later answer. */
  setVariantAvailable(variantGid: string, available: boolean): void {
    this.variantAvailability.set(variantGid, available);
  }

  /** A catalog line as Shopify would answer it: image URLs served by this fake, variants' stock as set. */
  private served(p: Record<string, unknown> & { media?: { nodes: Record<string, unknown>[] }; variants?: { nodes: Record<string, unknown>[] } }) {
    const absolute = (src: string) => (/^https?:/.test(src) ? src : `${this.baseUrl}/files/${src}`);
    const productNumber = String(p.id).split("/").pop();
    const media = (p.media?.nodes ?? []).map((m, i) => {
      const image = m.image as Record<string, unknown> | undefined;
      return { id: m.id ?? `gid://shopify/MediaImage/${productNumber}${i}`, alt: m.alt ?? null, image: { ...image, url: absolute(String(image?.url ?? "")) } };
    });
    const variants = (p.variants?.nodes ?? []).map((v) => {
      const image = v.image as { url?: unknown } | null | undefined;
      const set = this.variantAvailability.get(String(v.id));
      return {
        ...v,
        ...(typeof image?.url === "string" ? { image: { ...image, url: absolute(image.url) } } : {}),
        ...(set === undefined ? {} : { availableForSale: set }),
      };
    });
    return { ...p, media: { nodes: media }, variants: { nodes: variants } };
  }

  /** `inventoryItem(id:)`: the item's variant and its product, from the catalog file. */
  private async inventoryItem(gid: string) {
    const wanted = gid.split("/").pop();
    const rl = createInterface({ input: createReadStream(this.opts.catalogFile), crlfDelay: Infinity });
    for await (const line of rl) {
      if (!line.trim()) continue;
      const p = JSON.parse(line) as Record<string, unknown> & { variants?: { nodes: Record<string, unknown>[] } };
      const variant = (p.variants?.nodes ?? []).find((v) => String((v.inventoryItem as { id?: unknown } | undefined)?.id ?? v.id).split("/").pop() === wanted);
      if (variant) {
        rl.close();
        return { id: gid, variant: { id: variant.id, product: this.served(p) } };
      }
    }
    return null;
  }

  /** Posts a webhook to the app, signed like Shopify's (HMAC-SHA256 of the body, base64). */
  async postWebhook(topic: string, payload: unknown, pathOverride?: string): Promise<Response> {
    const app = this.opts.app!;
    const body = JSON.stringify(payload);
    return fetch(`${app.baseUrl}${pathOverride ?? `/webhooks/${topic}`}`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": createHmac("sha256", app.secret).update(body).digest("base64"),
        "X-Shopify-Shop-Domain": app.shop,
        "X-Shopify-Webhook-Id": randomUUID(),
        "X-Shopify-API-Version": "2026-01",
      },
      body,
    });
  }
}
