-- CreateTable
CREATE TABLE "ProductRule" (
    "shopDomain" TEXT NOT NULL,
    "productId" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("shopDomain", "productId", "targetId")
);

-- CreateTable
CREATE TABLE "DailyStat" (
    "shopDomain" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "impressions" INTEGER NOT NULL DEFAULT 0,
    "clicks" INTEGER NOT NULL DEFAULT 0,
    "photoSearches" INTEGER NOT NULL DEFAULT 0,

    PRIMARY KEY ("shopDomain", "day")
);

-- CreateTable
CREATE TABLE "ProductDailyStat" (
    "shopDomain" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "productId" TEXT NOT NULL,
    "impressions" INTEGER NOT NULL DEFAULT 0,
    "clicks" INTEGER NOT NULL DEFAULT 0,

    PRIMARY KEY ("shopDomain", "day", "productId")
);

-- CreateIndex
CREATE INDEX "ProductDailyStat_shopDomain_day_idx" ON "ProductDailyStat"("shopDomain", "day");
