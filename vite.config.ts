import { vitePlugin as remix } from "@remix-run/dev";
import { createLogger, defineConfig } from "vite";

declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}

/**
 * Two build messages that say nothing about a problem, printed on every build (18 + 5 lines),
 * would hide the ones that do:
 * - "Generated an empty chunk": the client build makes a chunk per route, and a resource route
 *   (loader/action only: proxy.*, webhooks.*, demo.*) has no client code;
 * - "dynamic import will not move module into another chunk": app/admin/admin-deps.server.ts
 *   imports the server's services lazily so unit tests of the admin loaders never load them; in
 *   the server bundle the same modules are imported statically by others, which is fine.
 * Every other warning and every error is printed as before.
 */
const BENIGN_BUILD_MESSAGES = [/Generated an empty chunk/, /dynamic import will not move module into another chunk/];
const logger = createLogger();
const isBenign = (msg: string) => BENIGN_BUILD_MESSAGES.some((re) => re.test(msg));
const warn = logger.warn.bind(logger);
const warnOnce = logger.warnOnce.bind(logger);
const info = logger.info.bind(logger);
logger.warn = (msg, opts) => (isBenign(msg) ? undefined : warn(msg, opts));
logger.warnOnce = (msg, opts) => (isBenign(msg) ? undefined : warnOnce(msg, opts));
logger.info = (msg, opts) => (isBenign(msg) ? undefined : info(msg, opts));

export default defineConfig({
  customLogger: logger,
  server: { port: Number(process.env.PORT || 3000), hmr: { port: 64999 } },
  plugins: [
    remix({
      ignoredRouteFiles: ["**/.*", "**/*.test.ts", "**/*.test.tsx"],
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_lazyRouteDiscovery: true,
        v3_singleFetch: false,
        v3_routeConfig: false,
      },
    }),
  ],
  build: { assetsInlineLimit: 0 },
  ssr: { external: ["onnxruntime-node", "hnswlib-node", "sharp", "@prisma/client", ".prisma/client-postgresql", "better-sqlite3", "bullmq", "ioredis", "prom-client"] },
});
