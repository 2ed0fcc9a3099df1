import type { LoaderFunctionArgs } from "@remix-run/node";
import { configHandler } from "../storefront/proxy-handlers.server";
import { webServices } from "../web-services.server";

export const loader = ({ request, context }: LoaderFunctionArgs) => configHandler(webServices().storefront, request, context.log);
