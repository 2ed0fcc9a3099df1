-- AlterTable
ALTER TABLE "Product" ADD COLUMN "localFeatures" BLOB;
