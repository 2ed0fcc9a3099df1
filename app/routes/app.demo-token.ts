import { json } from "@remix-run/node";
import { config } from "../config.server";
import { requireDemo } from "../demo/demo-guard.server";
import { mintSessionToken } from "../demo/session-token.server";

/** Demo only: a fresh session token for the demo shop, as App Bridge's `shopify.idToken()` gives. */
export const loader = async () => {
  requireDemo();
  const cfg = config();
  const token = await mintSessionToken({ shop: cfg.demoShop, apiKey: cfg.apiKey, apiSecret: cfg.apiSecret });
  return json({ token }, { headers: { "Cache-Control": "no-store" } });
};
