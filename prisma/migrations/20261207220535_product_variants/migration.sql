-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Product" (
    "shopDomain" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "handle" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "descriptionText" TEXT NOT NULL DEFAULT '',
    "productType" TEXT NOT NULL DEFAULT '',
    "vendor" TEXT NOT NULL DEFAULT '',
    "tags" TEXT NOT NULL DEFAULT '[]',
    "status" TEXT NOT NULL DEFAULT 'ACTIVE',
    "price" REAL NOT NULL DEFAULT 0,
    "priceText" TEXT NOT NULL DEFAULT '0.00',
    "currency" TEXT NOT NULL DEFAULT 'USD',
    "available" BOOLEAN NOT NULL DEFAULT true,
    "onlineStoreUrl" TEXT,
    "imageUrls" TEXT NOT NULL DEFAULT '[]',
    "variants" TEXT NOT NULL DEFAULT '[]',
    "source" TEXT NOT NULL DEFAULT 'shopify',
    "shopifyUpdatedAt" DATETIME NOT NULL,
    "textHash" TEXT NOT NULL DEFAULT '',
    "imageHash" TEXT NOT NULL DEFAULT '',
    "vectorTextHash" TEXT NOT NULL DEFAULT '',
    "vectorImageHash" TEXT NOT NULL DEFAULT '',
    "embedState" TEXT NOT NULL DEFAULT 'pending',
    "embedError" TEXT,
    "embeddedAt" DATETIME,
    "modelId" TEXT,
    "imageVector" BLOB,
    "imageVectors" BLOB,
    "localFeatures" BLOB,
    "colorVector" BLOB,
    "textVector" BLOB,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("shopDomain", "id"),
    CONSTRAINT "Product_shopDomain_fkey" FOREIGN KEY ("shopDomain") REFERENCES "Shop" ("domain") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Product" ("available", "colorVector", "createdAt", "currency", "descriptionText", "embedError", "embedState", "embeddedAt", "handle", "id", "imageHash", "imageUrls", "imageVector", "imageVectors", "localFeatures", "modelId", "onlineStoreUrl", "price", "priceText", "productType", "shopDomain", "shopifyUpdatedAt", "source", "status", "tags", "textHash", "textVector", "title", "updatedAt", "vectorImageHash", "vectorTextHash", "vendor") SELECT "available", "colorVector", "createdAt", "currency", "descriptionText", "embedError", "embedState", "embeddedAt", "handle", "id", "imageHash", "imageUrls", "imageVector", "imageVectors", "localFeatures", "modelId", "onlineStoreUrl", "price", "priceText", "productType", "shopDomain", "shopifyUpdatedAt", "source", "status", "tags", "textHash", "textVector", "title", "updatedAt", "vectorImageHash", "vectorTextHash", "vendor" FROM "Product";
DROP TABLE "Product";
ALTER TABLE "new_Product" RENAME TO "Product";
CREATE INDEX "Product_shopDomain_embedState_idx" ON "Product"("shopDomain", "embedState");
CREATE INDEX "Product_shopDomain_updatedAt_idx" ON "Product"("shopDomain", "updatedAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
