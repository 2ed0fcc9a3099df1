/**
 * The queue contract (names, prefix, queue factories, job ids) as app/ops and its tests use it:
 * the one place that names where it lives, so moving it is a one-line change here.
 */
export { EMBED_QUEUE, SYNC_QUEUE, createEmbedQueue, createSyncQueue, embedJobId, queuePrefix, type EmbedJobData, type SyncJobData } from "../../jobs/queues.server";
