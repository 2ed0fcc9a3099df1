import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { storefrontEventsHandler } from "../analytics/storefront-events.server";
import { db } from "../db.server";
import { rateLimits } from "../storefront/proxy-handlers.server";
import { clientIp } from "../storefront/rate-limits.server";

const limit = (shop: string, forwardedFor: string | null) => rateLimits().check("events", shop, clientIp(forwardedFor));

export const action = ({ request }: ActionFunctionArgs) => storefrontEventsHandler(request, db, limit);
export const loader = ({ request }: LoaderFunctionArgs) => storefrontEventsHandler(request, db, limit);
