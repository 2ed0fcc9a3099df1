import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { visualSearchHandler } from "../storefront/proxy-handlers.server";
import { webServices } from "../web-services.server";

export const action = ({ request, context }: ActionFunctionArgs) => visualSearchHandler(webServices().storefront, request, context.clientAddress, context.log);
export const loader = ({ request, context }: LoaderFunctionArgs) => visualSearchHandler(webServices().storefront, request, context.clientAddress, context.log);
