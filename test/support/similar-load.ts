/**
 * Storefront load for fault tests: N clients, each looping signed /proxy/similar requests (keep-alive,
 * as Shopify's app proxy does) until stopped. Every outcome is counted: HTTP status, or the
 * network error code when no answer came (ECONNREFUSED while no process listens, a reset, a timeout).
 */
import { signedUrl } from "./app-proxy-client";

export interface SimilarAnswer {
  at: number;
  productId: string;
  status: number;
  ids: string[];
  body: string;
}

export interface LoadResult {
  answers: SimilarAnswer[];
  /** Count per HTTP status ("200", "503", …) and per network error ("ECONNREFUSED", …). */
  counts: Record<string, number>;
}

function errorCode(err: unknown): string {
  const e = err as { name?: string; cause?: { code?: string; name?: string } };
  if (e.name === "TimeoutError" || e.name === "AbortError") return "TIMEOUT";
  return e.cause?.code ?? e.cause?.name ?? e.name ?? "ERROR";
}

export function similarLoad(opts: { baseUrl: () => string; shop: string; productIds: () => string[]; clients: number; timeoutMs?: number; pauseMs?: number }) {
  let running = true;
  const answers: SimilarAnswer[] = [];
  const counts: Record<string, number> = {};
  const count = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
  const loop = async (client: number) => {
    let n = client;
    while (running) {
      const ids = opts.productIds();
      const productId = ids[n++ % ids.length];
      try {
        // Many shoppers, as Shopify's app proxy forwards them (their address in X-Forwarded-For): the per-client limit is not what is measured.
        const shopper = `198.18.${(n >> 8) & 255}.${n & 255}`;
        const res = await fetch(signedUrl(opts.baseUrl(), "similar", opts.shop, { product_id: productId, limit: "50" }), { headers: { "X-Forwarded-For": shopper }, signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
        const body = await res.text();
        count(String(res.status));
        let found: string[] = [];
        if (res.status === 200) found = (JSON.parse(body) as { products: { id: string }[] }).products.map((p) => p.id);
        answers.push({ at: Date.now(), productId, status: res.status, ids: found, body: res.status === 200 ? "" : body });
      } catch (err) {
        count(errorCode(err));
        await new Promise((r) => setTimeout(r, 20)); // nothing listening: do not spin
      }
      if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
    }
  };
  const loops = Array.from({ length: opts.clients }, (_, i) => loop(i));
  return {
    counts,
    answers,
    async stop(): Promise<LoadResult> {
      running = false;
      await Promise.all(loops);
      return { answers, counts };
    },
  };
}
