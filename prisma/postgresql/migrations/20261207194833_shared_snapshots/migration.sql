-- CreateTable
CREATE TABLE "ShopSnapshot" (
    "shop" TEXT NOT NULL,
    "generation" TEXT NOT NULL,
    "catalogVersion" INTEGER NOT NULL,
    "bytes" BIGINT NOT NULL,
    "publishedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ShopSnapshot_pkey" PRIMARY KEY ("shop")
);

-- CreateTable
CREATE TABLE "SnapshotFile" (
    "shop" TEXT NOT NULL,
    "generation" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "chunks" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SnapshotFile_pkey" PRIMARY KEY ("shop","generation","path")
);

-- CreateTable
CREATE TABLE "SnapshotChunk" (
    "shop" TEXT NOT NULL,
    "generation" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "SnapshotChunk_pkey" PRIMARY KEY ("shop","generation","path","seq")
);
