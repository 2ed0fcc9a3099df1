import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { catalogProducts } from "../analytics/catalog-products.server";
import { storefrontEventsHandler, type StorefrontEventDeps } from "../analytics/storefront-events.server";
import { rateLimits } from "../storefront/proxy-handlers.server";
import { webServices } from "../web-services.server";

const deps = (clientAddress: string | undefined): StorefrontEventDeps => ({
  clientAddress,
  products: (shop) => catalogProducts(webServices().catalogs, shop),
  rateLimit: (shop, address) => rateLimits().check("events", shop, address),
  batcher: webServices().events,
});

export const action = ({ request, context }: ActionFunctionArgs) => storefrontEventsHandler(request, deps(context?.clientAddress));
export const loader = ({ request, context }: LoaderFunctionArgs) => storefrontEventsHandler(request, deps(context?.clientAddress));
