import { PassThrough } from "node:stream";
import { renderToPipeableStream } from "react-dom/server";
import { isRouteErrorResponse, RemixServer } from "@remix-run/react";
import { createReadableStreamFromReadable, type EntryContext, type HandleErrorFunction } from "@remix-run/node";
import { checkReadiness, readyTimeoutMsFromEnv } from "./http/health.server";
import { oneLine, RefusalLog } from "./http/refusal-log.server";
import { moduleLogger, type Logger } from "./logging/logger.server";
import { similarRaw } from "./storefront/proxy-handlers.server";
import { webServices } from "./web-services.server";
import { isbot } from "isbot";
import { addDocumentResponseHeaders } from "./shopify.server";

const ABORT_DELAY = 5_000;

/**
 * What the production entry (server.ts) takes from the server build besides Remix's request
 * handler: it reads these from `build.entry.module`, so they come from the same module graph as
 * the routes (one set of live catalogs, caches and connections: the composition root,
 * app/web-services.server.ts).
 * - `fastSimilar`: GET/HEAD /proxy/similar answered straight from node:http (no fetch Request/Response).
 * - `shutdown`: the last step before the process exits (finishes index snapshot saves and event writes).
 * - `readiness`: whether this process can serve (`/readyz`, app/http/health.server.ts): its database
 *   and Redis answer.
 */
export function fastSimilar(url: string, clientAddress?: string, log?: Logger) {
  return similarRaw(webServices().storefront, url, clientAddress, log);
}
export function readiness() {
  const s = webServices();
  return checkReadiness({ database: () => s.db.$queryRaw`SELECT 1`, redis: () => s.publisher.ping() }, readyTimeoutMsFromEnv());
}
export { closeWebServices as shutdown } from "./web-services.server";

export default async function handleRequest(request: Request, responseStatusCode: number, responseHeaders: Headers, remixContext: EntryContext) {
  addDocumentResponseHeaders(request, responseHeaders);
  const callbackName = isbot(request.headers.get("user-agent") ?? "") ? "onAllReady" : "onShellReady";

  return new Promise((resolve, reject) => {
    const { pipe, abort } = renderToPipeableStream(<RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} />, {
      [callbackName]: () => {
        const body = new PassThrough();
        const stream = createReadableStreamFromReadable(body);
        responseHeaders.set("Content-Type", "text/html");
        resolve(new Response(stream, { headers: responseHeaders, status: responseStatusCode }));
        pipe(body);
      },
      onShellError(error) {
        reject(error);
      },
      onError(error) {
        responseStatusCode = 500;
        remixLog.error({ err: error }, "render failed");
      },
    });
    setTimeout(abort, ABORT_DELAY);
  });
}

const remixLog = moduleLogger("remix");

/** `handleError` over the given refusal log and logger (tests pass their own). */
export function createHandleError(routeRefusals = new RefusalLog(), fallback: Logger = remixLog): HandleErrorFunction {
  return (error, { request, context }) => {
    if (request.signal.aborted) return;
    const reqId = context?.log?.bindings().reqId as string | undefined;
    if (isRouteErrorResponse(error) && error.status < 500) {
      routeRefusals.note(`route-${error.status}`, `${request.method} ${new URL(request.url).pathname}`, reqId ? { reqId } : undefined);
      return;
    }
    (context?.log ?? fallback).error({ err: error }, `${request.method} ${oneLine(new URL(request.url).pathname)} failed`);
  };
}

/**
 * Remix's default logged a ~1.4 KB stack for every 404 and wrong method (any client could flood
 * the log). A 4xx route error is one short rate-limited line; an aborted request (the client
 * left) nothing; every other error is logged in full (with its stack, through the request's logger).
 */
export const handleError: HandleErrorFunction = createHandleError();
