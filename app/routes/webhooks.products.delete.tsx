import { handleProductDelete } from "../webhooks/webhook-handlers.server";
import { webhookAction } from "../webhooks/webhook-route.server";

export const action = webhookAction(handleProductDelete, ["PRODUCTS_DELETE"]);
