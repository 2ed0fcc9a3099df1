/**
 * The demo app the browser tests drive: the production web server (and a worker) in demo mode
 * (LOOKALIKE_DEMO=1) on a fresh SQLite database, a catalog to import with the operator's CLI, and
 * one stop() that removes everything it made.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { appEnv, runCli, startWeb, startWorker, type AppEnv, type RunningProcess } from "../../scripts/lib/app-processes";
import { generateCatalog } from "../../scripts/lib/generated-catalog";
import { ensureDemoShop } from "../../app/demo/demo-shop.server";
import { createPrismaClient, type Db } from "../../app/db.server";
import { LUMA_CATALOG } from "./browser";
import { createTestDatabase, type TestDatabase } from "./databases";

export interface DemoAppOptions {
  shop: string;
  /** Prefix of the temporary folder (a generated catalog goes there). */
  tmpPrefix: string;
  /** Install the shop as the demo admin does (an offline session), for the embedded admin's pages. */
  installShop?: boolean;
  /** More environment for the web and the worker (LOOKALIKE_DEMO=1 and DEMO_SHOP are set). */
  env?: Record<string, string>;
}

/** The production web server (and a worker) in demo mode on a fresh SQLite database. */
export class DemoApp {
  web: RunningProcess | undefined;
  worker: RunningProcess | undefined;

  private constructor(
    readonly shop: string,
    readonly tmp: string,
    readonly database: TestDatabase,
    readonly client: Db,
    readonly app: AppEnv,
  ) {}

  /** Prepares the database and the environment; nothing runs yet. */
  static async create(opts: DemoAppOptions): Promise<DemoApp> {
    const tmp = mkdtempSync(path.join(os.tmpdir(), opts.tmpPrefix));
    const database = await createTestDatabase("sqlite");
    const client = createPrismaClient(database.url);
    if (opts.installShop) await ensureDemoShop(client, opts.shop, ["read_products", "read_inventory"]);
    const app = await appEnv(database.url, { LOOKALIKE_DEMO: "1", DEMO_SHOP: opts.shop, ...opts.env });
    return new DemoApp(opts.shop, tmp, database, client, app);
  }

  get baseUrl(): string {
    return this.app.baseUrl;
  }

  /** luma-dev's catalog (127 products, real photos) when it is there, else a generated one of `count` products. */
  async catalogFile(count?: number): Promise<string> {
    return existsSync(LUMA_CATALOG) ? LUMA_CATALOG : generateCatalog(this.tmp, count);
  }

  async startWeb(): Promise<RunningProcess> {
    this.web = await startWeb(this.app);
    return this.web;
  }

  async startWorker(): Promise<RunningProcess> {
    this.worker = await startWorker(this.app);
    return this.worker;
  }

  /** Imports `file` into the shop with the operator's CLI (`--wait`: until every product is searchable). */
  importCatalog(file: string, opts: { wait?: boolean; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const args = ["scripts/catalog-import.ts", "--shop", this.shop, "--file", file, ...(opts.wait ? ["--wait"] : [])];
    return runCli(args, this.app.env, opts.timeoutMs);
  }

  /** Stops the processes and removes the database, the Redis keys and the temporary folder. */
  async stop(): Promise<void> {
    await Promise.all([this.web?.stop(), this.worker?.stop()]);
    await this.client.$disconnect();
    await this.database.drop();
    await this.app.cleanup();
    rmSync(this.tmp, { recursive: true, force: true });
  }
}
