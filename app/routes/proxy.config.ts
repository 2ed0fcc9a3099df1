import type { LoaderFunctionArgs } from "@remix-run/node";
import { configHandler } from "../storefront/proxy-handlers.server";

export const loader = ({ request }: LoaderFunctionArgs) => configHandler(request);
