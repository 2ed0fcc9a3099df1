/** Demo only (404 elsewhere): the storefront's same-origin Storefront API path, forwarded to the configured one. */
import type { ActionFunctionArgs } from "@remix-run/node";
import { forwardStorefrontApi } from "../demo/demo-storefront-api.server";

export const action = ({ request }: ActionFunctionArgs) => forwardStorefrontApi(request);
