import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { visualSearchHandler } from "../storefront/proxy-handlers.server";

export const action = ({ request }: ActionFunctionArgs) => visualSearchHandler(request);
export const loader = ({ request }: LoaderFunctionArgs) => visualSearchHandler(request);
