import type { LoaderFunctionArgs } from "@remix-run/node";
import { textSearchHandler } from "../storefront/proxy-handlers.server";
import { webServices } from "../web-services.server";

export const loader = ({ request, context }: LoaderFunctionArgs) => textSearchHandler(webServices().storefront, request, context.clientAddress, context.log);
