import { handleInventoryLevelUpdate } from "../webhooks/webhook-handlers.server";
import { webhookAction } from "../webhooks/webhook-route.server";
import { webhookDeps } from "../web-services.server";

export const action = webhookAction(handleInventoryLevelUpdate, ["INVENTORY_LEVELS_UPDATE"], webhookDeps);
