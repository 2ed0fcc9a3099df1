/**
 * The `route` label of request metrics: a fixed set, from the pathname by a fixed mapping — never
 * the raw path, so odd or hostile URLs cannot create label values.
 */
export const HTTP_ROUTES = ["similar", "photo", "text", "events", "config", "images", "webhooks", "admin", "static", "other"] as const;
export type HttpRoute = (typeof HTTP_ROUTES)[number];

const PROXY: Record<string, HttpRoute> = {
  similar: "similar",
  "visual-search": "photo",
  search: "text",
  events: "events",
  config: "config",
  images: "images",
};

/** `isStatic`: whether server.ts serves this pathname from the client build (its file list). */
export function routeOf(pathname: string, isStatic: (pathname: string) => boolean = () => false): HttpRoute {
  // /proxy/<name>[/…], and the demo's stand-in for the app proxy /apps/lookalike/<name>[/…]
  const proxy = /^\/(?:proxy|apps\/lookalike)\/([^/]+)/.exec(pathname);
  if (proxy) return PROXY[proxy[1]] ?? "other";
  if (pathname === "/webhooks" || pathname.startsWith("/webhooks/")) return "webhooks";
  if (/^\/(?:app|auth)(?:[/.]|$)/.test(pathname)) return "admin";
  if (isStatic(pathname)) return "static";
  return "other";
}

/** `2xx`…`5xx`; a response never finished (the client went away first) is `aborted`. */
export function statusClass(status: number, finished: boolean): string {
  if (!finished) return "aborted";
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : "other";
}
