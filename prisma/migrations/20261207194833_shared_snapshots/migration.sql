-- CreateTable
CREATE TABLE "ShopSnapshot" (
    "shop" TEXT NOT NULL PRIMARY KEY,
    "generation" TEXT NOT NULL,
    "catalogVersion" INTEGER NOT NULL,
    "bytes" BIGINT NOT NULL,
    "publishedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "SnapshotFile" (
    "shop" TEXT NOT NULL,
    "generation" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "chunks" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("shop", "generation", "path")
);

-- CreateTable
CREATE TABLE "SnapshotChunk" (
    "shop" TEXT NOT NULL,
    "generation" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "data" BLOB NOT NULL,

    PRIMARY KEY ("shop", "generation", "path", "seq")
);
