import { handleCompliance } from "../webhooks/webhook-handlers.server";
import { webhookAction } from "../webhooks/webhook-route.server";
import { webhookDeps } from "../web-services.server";

export const action = webhookAction(handleCompliance, ["CUSTOMERS_DATA_REQUEST", "CUSTOMERS_REDACT", "SHOP_REDACT"], webhookDeps);
