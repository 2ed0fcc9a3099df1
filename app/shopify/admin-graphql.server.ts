/**
 * A small Admin GraphQL client for background work (bulk sync, reconciliation) that respects
 * Shopify's limits: it reads `extensions.cost.throttleStatus`, waits for the bucket to refill
 * when a query is THROTTLED (and slows down before it would be), honours 429 Retry-After, and
 * retries 5xx and network errors with exponential backoff and full jitter, a bounded number of
 * times. (@shopify/admin-api-client retries 429/503 only and knows nothing of cost throttling.)
 *
 * The endpoint is `https://{shop}/admin/api/{version}/graphql.json`; SHOPIFY_ADMIN_API_BASE_URL
 * replaces `https://{shop}` (tests point it at a local fake of the Admin API).
 */
export class AdminApiError extends Error {
  constructor(message: string, public readonly retryable: boolean, public readonly status?: number) {
    super(message);
    this.name = "AdminApiError";
  }
}

export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

export interface AdminGraphqlOptions {
  shop: string;
  accessToken: string;
  apiVersion: string;
  baseUrl?: string;
  maxAttempts?: number;
  /** Base delay for backoff, ms. */
  baseDelayMs?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (reason: string, delayMs: number) => void;
}

interface GraphqlResponse<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
  extensions?: { cost?: { requestedQueryCost?: number; actualQueryCost?: number; throttleStatus?: ThrottleStatus } };
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function backoffDelay(attempt: number, baseMs: number, capMs = 30_000): number {
  return Math.round(Math.random() * Math.min(capMs, baseMs * 2 ** attempt));
}

/** How long to wait until `cost` points are available again. */
export function throttleWaitMs(status: ThrottleStatus | undefined, cost: number): number {
  if (!status || status.restoreRate <= 0) return 1_000;
  const missing = Math.max(0, Math.min(cost, status.maximumAvailable) - status.currentlyAvailable);
  return Math.ceil((missing / status.restoreRate) * 1_000) + 50;
}

export class AdminGraphqlClient {
  private readonly url: string;
  private lastThrottle?: ThrottleStatus;
  readonly stats = { requests: 0, throttled: 0, retried: 0 };

  constructor(private readonly opts: AdminGraphqlOptions) {
    const base = (opts.baseUrl ?? `https://${opts.shop}`).replace(/\/$/, "");
    this.url = `${base}/admin/api/${opts.apiVersion}/graphql.json`;
  }

  async request<T>(query: string, variables?: Record<string, unknown>, expectedCost = 10): Promise<T> {
    const sleep = this.opts.sleep ?? defaultSleep;
    const maxAttempts = this.opts.maxAttempts ?? 6;
    const base = this.opts.baseDelayMs ?? 500;
    // Don't start a request the bucket cannot pay for: wait for it to refill first.
    if (this.lastThrottle && this.lastThrottle.currentlyAvailable < expectedCost) await sleep(throttleWaitMs(this.lastThrottle, expectedCost));

    for (let attempt = 0; ; attempt++) {
      let retry: { reason: string; delay: number } | null = null;
      this.stats.requests++;
      let res: Response | null = null;
      try {
        res = await fetch(this.url, {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-Shopify-Access-Token": this.opts.accessToken },
          body: JSON.stringify({ query, variables }),
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
        });
      } catch (err) {
        retry = { reason: `network error: ${(err as Error).message}`, delay: backoffDelay(attempt, base) };
      }
      if (res) {
        if (res.status === 429) {
          const after = Number(res.headers.get("retry-after"));
          retry = { reason: "HTTP 429", delay: Number.isFinite(after) && after > 0 ? after * 1_000 : backoffDelay(attempt, base * 2) };
          this.stats.throttled++;
        } else if (res.status >= 500) {
          retry = { reason: `HTTP ${res.status}`, delay: backoffDelay(attempt, base) };
        } else if (res.status === 401 || res.status === 403) {
          throw new AdminApiError(`Admin API refused the access token for ${this.opts.shop} (HTTP ${res.status}); the app may have been uninstalled`, false, res.status);
        } else if (!res.ok) {
          throw new AdminApiError(`Admin API answered HTTP ${res.status}`, false, res.status);
        } else {
          const body = (await res.json()) as GraphqlResponse<T>;
          this.lastThrottle = body.extensions?.cost?.throttleStatus ?? this.lastThrottle;
          const throttled = body.errors?.some((e) => e.extensions?.code === "THROTTLED");
          if (throttled) {
            this.stats.throttled++;
            retry = { reason: "THROTTLED", delay: throttleWaitMs(this.lastThrottle, body.extensions?.cost?.requestedQueryCost ?? expectedCost) };
          } else if (body.errors?.length) {
            throw new AdminApiError(`Admin API error: ${body.errors.map((e) => e.message).join("; ").slice(0, 500)}`, false);
          } else if (!body.data) {
            throw new AdminApiError("Admin API returned no data", true);
          } else {
            return body.data;
          }
        }
      }
      if (attempt + 1 >= maxAttempts) throw new AdminApiError(`Admin API request failed after ${maxAttempts} attempts (${retry!.reason})`, true);
      this.stats.retried++;
      this.opts.onRetry?.(retry!.reason, retry!.delay);
      await sleep(retry!.delay);
    }
  }
}
