import type { LoaderFunctionArgs } from "@remix-run/node";
import { productImageHandler } from "../storefront/proxy-handlers.server";

export const loader = ({ request, params }: LoaderFunctionArgs) => productImageHandler(request, params.productId);
