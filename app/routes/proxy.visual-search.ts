import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { visualSearchHandler } from "../storefront/proxy-handlers.server";

export const action = ({ request, context }: ActionFunctionArgs) => visualSearchHandler(request, context.clientAddress);
export const loader = ({ request, context }: LoaderFunctionArgs) => visualSearchHandler(request, context.clientAddress);
