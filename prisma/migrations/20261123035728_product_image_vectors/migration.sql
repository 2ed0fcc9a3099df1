-- AlterTable
ALTER TABLE "Product" ADD COLUMN "imageVectors" BLOB;
