import { handleBulkOperationFinish } from "../webhooks/webhook-handlers.server";
import { webhookAction } from "../webhooks/webhook-route.server";

export const action = webhookAction(handleBulkOperationFinish, ["BULK_OPERATIONS_FINISH"]);
