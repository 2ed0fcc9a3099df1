/**
 * What the web entry (server.ts) hands every Remix loader and action besides the Request: facts
 * only the socket knows. Routes read it as `context` (Remix's AppLoadContext).
 */
import type { Logger } from "../logging/logger.server";

export interface LookalikeLoadContext {
  /**
   * The client's address as the trusted proxies saw it (proxy-addr over X-Forwarded-For with
   * TRUSTED_PROXY_HOPS hops trusted; the socket's peer when the header is missing). Undefined only
   * outside server.ts (Remix's dev server, tests calling a loader directly).
   */
  clientAddress?: string;
  /**
   * The request's logger: a child of the web log with `reqId` (the X-Request-Id server.ts echoes).
   * Undefined outside server.ts; handlers then log through their module's logger.
   */
  log?: Logger;
}

declare module "@remix-run/node" {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AppLoadContext extends LookalikeLoadContext {}
}
