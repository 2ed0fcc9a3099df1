/**
 * The Shopify app: OAuth / token exchange, session storage in our database, webhook and app
 * proxy authentication. Every admin loader/action and every webhook and proxy request goes
 * through `authenticate` from here.
 */
import "@shopify/shopify-app-remix/adapters/node";
import { ApiVersion, AppDistribution, shopifyApp } from "@shopify/shopify-app-remix/server";
import { PrismaSessionStorage } from "@shopify/shopify-app-session-storage-prisma";
import { onInstalled } from "./catalog/on-installed.server";
import { config } from "./config.server";
import { db } from "./db.server";
import { webServices } from "./web-services.server";

const cfg = config();

export const apiVersion = ApiVersion.January26;

const shopify = shopifyApp({
  apiKey: cfg.apiKey || "missing-api-key",
  apiSecretKey: cfg.apiSecret || "missing-api-secret",
  apiVersion,
  scopes: cfg.scopes,
  appUrl: cfg.appUrl,
  authPathPrefix: "/auth",
  sessionStorage: new PrismaSessionStorage(db()),
  distribution: AppDistribution.AppStore,
  future: { unstable_newEmbeddedAuthStrategy: true },
  logger: { level: process.env.NODE_ENV === "test" ? 0 : 1 },
  hooks: {
    afterAuth: async ({ session }) => {
      // Install (or re-install): the catalog syncs by itself.
      await onInstalled(webServices(), session.shop);
    },
  },
});

export default shopify;
export const addDocumentResponseHeaders = shopify.addDocumentResponseHeaders;
export const authenticate = shopify.authenticate;
export const unauthenticated = shopify.unauthenticated;
export const login = shopify.login;
export const sessionStorage = shopify.sessionStorage;
