import type { LoaderFunctionArgs } from "@remix-run/node";
import { productImageHandler } from "../storefront/proxy-handlers.server";
import { webServices } from "../web-services.server";

export const loader = ({ request, params }: LoaderFunctionArgs) => productImageHandler(webServices().storefront, request, params.productId);
