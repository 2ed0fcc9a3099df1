import type { LoaderFunctionArgs } from "@remix-run/node";
import { textSearchHandler } from "../storefront/proxy-handlers.server";

export const loader = ({ request, context }: LoaderFunctionArgs) => textSearchHandler(request, context.clientAddress);
