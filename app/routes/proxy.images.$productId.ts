import type { LoaderFunctionArgs } from "@remix-run/node";
import { productImageHandler } from "../storefront/proxy-handlers.server";
import { webServices } from "../web-services.server";

export const loader = ({ request, params, context }: LoaderFunctionArgs) => productImageHandler(webServices().storefront, request, params.productId, context.log);
