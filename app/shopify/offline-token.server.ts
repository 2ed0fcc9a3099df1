/** The shop's offline access token, as stored by Shopify session storage after install. */
import type { Db } from "../db.server";

export class NotInstalledError extends Error {}

export async function offlineAccessToken(db: Db, shop: string): Promise<string> {
  const session = await db.session.findFirst({ where: { shop, isOnline: false }, orderBy: { expires: "desc" } });
  if (!session?.accessToken) throw new NotInstalledError(`${shop} has no offline session: the app is not installed there`);
  return session.accessToken;
}
