/** Builds the Admin GraphQL client for a shop from its stored offline session and our config. */
import type { AppConfig } from "../config.server";
import type { Db } from "../db.server";
import { AdminGraphqlClient } from "./admin-graphql.server";
import { offlineAccessToken } from "./offline-token.server";

export const ADMIN_API_VERSION = "2026-01";

export function adminClientFactory(db: Db, cfg: Pick<AppConfig, "adminApiBaseUrl">) {
  return async (shop: string) =>
    new AdminGraphqlClient({ shop, accessToken: await offlineAccessToken(db, shop), apiVersion: ADMIN_API_VERSION, baseUrl: cfg.adminApiBaseUrl });
}
