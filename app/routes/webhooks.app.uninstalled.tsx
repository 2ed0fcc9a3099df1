import { handleAppUninstalled } from "../webhooks/webhook-handlers.server";
import { webhookAction } from "../webhooks/webhook-route.server";

export const action = webhookAction(handleAppUninstalled, ["APP_UNINSTALLED"]);
