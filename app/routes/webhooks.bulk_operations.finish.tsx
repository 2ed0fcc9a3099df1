import { handleBulkOperationFinish } from "../webhooks/webhook-handlers.server";
import { webhookAction } from "../webhooks/webhook-route.server";
import { webhookDeps } from "../web-services.server";

export const action = webhookAction(handleBulkOperationFinish, ["BULK_OPERATIONS_FINISH"], webhookDeps);
