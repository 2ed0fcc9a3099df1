import type { LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { config } from "../config.server";
import { requireDemo } from "../demo/demo-guard.server";
import { adminHost, mintSessionToken } from "../demo/session-token.server";

/** Demo: open the embedded admin as Shopify would, with a fresh session token. */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  requireDemo();
  const cfg = config();
  const url = new URL(request.url);
  const shop = cfg.demoShop;
  const idToken = await mintSessionToken({ shop, apiKey: cfg.apiKey, apiSecret: cfg.apiSecret });
  const requested = url.searchParams.get("to") ?? "/app";
  const target = new URL(requested.startsWith("/app") ? requested : "/app", "http://demo.invalid");
  for (const [k, v] of Object.entries({ embedded: "1", shop, host: adminHost(shop), id_token: idToken })) target.searchParams.set(k, v);
  return redirect(target.pathname + target.search);
};
