import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { storefrontEventsHandler } from "../analytics/storefront-events.server";
import { storefrontEventDeps } from "../web-services.server";

export const action = ({ request, context }: ActionFunctionArgs) => storefrontEventsHandler(request, storefrontEventDeps(context?.clientAddress), context?.log);
export const loader = ({ request, context }: LoaderFunctionArgs) => storefrontEventsHandler(request, storefrontEventDeps(context?.clientAddress), context?.log);
