import type { LoaderFunctionArgs } from "@remix-run/node";
import { similarHandler } from "../storefront/proxy-handlers.server";

export const loader = ({ request, context }: LoaderFunctionArgs) => similarHandler(request, context.clientAddress);
