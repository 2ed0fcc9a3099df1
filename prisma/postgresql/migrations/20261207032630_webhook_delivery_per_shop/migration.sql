-- DropIndex
DROP INDEX "WebhookDelivery_shopDomain_idx";

-- AlterTable
ALTER TABLE "WebhookDelivery" DROP CONSTRAINT "WebhookDelivery_pkey",
ADD CONSTRAINT "WebhookDelivery_pkey" PRIMARY KEY ("shopDomain", "id");
