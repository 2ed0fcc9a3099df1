import { readFile } from "node:fs/promises";
import path from "node:path";
import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireDemo } from "../demo/demo-guard.server";

const TYPES: Record<string, string> = { ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml" };

/** Demo: serves the theme extension's assets as Shopify's CDN would. */
export const loader = async ({ params }: LoaderFunctionArgs) => {
  requireDemo();
  const file = params.file ?? "";
  if (!/^[\w.-]+\.(js|css|svg)$/.test(file)) throw new Response("Not found", { status: 404 });
  const body = await readFile(path.resolve("extensions/lookalike-blocks/assets", file)).catch(() => null);
  if (!body) throw new Response("Not found", { status: 404 });
  return new Response(body, { headers: { "Content-Type": TYPES[path.extname(file)], "Cache-Control": "public, max-age=300" } });
};
