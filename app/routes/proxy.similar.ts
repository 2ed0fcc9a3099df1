import type { LoaderFunctionArgs } from "@remix-run/node";
import { similarHandler } from "../storefront/proxy-handlers.server";
import { webServices } from "../web-services.server";

export const loader = ({ request, context }: LoaderFunctionArgs) => similarHandler(webServices().storefront, request, context.clientAddress, context.log);
