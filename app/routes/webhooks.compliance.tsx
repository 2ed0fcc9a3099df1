import { handleCompliance } from "../webhooks/webhook-handlers.server";
import { webhookAction } from "../webhooks/webhook-route.server";

export const action = webhookAction(handleCompliance, ["CUSTOMERS_DATA_REQUEST", "CUSTOMERS_REDACT", "SHOP_REDACT"]);
