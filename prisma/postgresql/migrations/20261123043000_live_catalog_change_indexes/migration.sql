-- Web processes read the rows changed (and tombstoned) since a time on every catalog change.
-- CreateIndex
CREATE INDEX "Product_shopDomain_updatedAt_idx" ON "Product"("shopDomain", "updatedAt");

-- CreateIndex
CREATE INDEX "ProductTombstone_shopDomain_deletedAt_idx" ON "ProductTombstone"("shopDomain", "deletedAt");
