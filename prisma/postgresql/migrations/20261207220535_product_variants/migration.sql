-- AlterTable
ALTER TABLE "Product" ADD COLUMN     "variants" TEXT NOT NULL DEFAULT '[]';
