import { handleProductUpsert } from "../webhooks/webhook-handlers.server";
import { webhookAction } from "../webhooks/webhook-route.server";
import { webhookDeps } from "../web-services.server";

export const action = webhookAction(handleProductUpsert, ["PRODUCTS_CREATE", "PRODUCTS_UPDATE"], webhookDeps);
