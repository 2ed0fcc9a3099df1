-- AlterTable
ALTER TABLE "SyncRun" ADD COLUMN     "bulkOperationId" TEXT,
ADD COLUMN     "bulkResultUrl" TEXT,
ADD COLUMN     "heartbeatAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
