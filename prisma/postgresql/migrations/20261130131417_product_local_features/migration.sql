-- AlterTable
ALTER TABLE "Product" ADD COLUMN     "localFeatures" BYTEA;
