-- AlterTable
ALTER TABLE "SyncRun" ADD COLUMN     "bulkOperations" INTEGER NOT NULL DEFAULT 0;
