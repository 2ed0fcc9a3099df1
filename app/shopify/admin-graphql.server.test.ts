import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeAdminApi } from "../../test/fake-shopify/fake-admin-api";
import { generateCatalog } from "../../scripts/lib/generated-catalog";
import { AdminApiError, AdminGraphqlClient, throttleWaitMs } from "./admin-graphql.server";
import { bulkOperationState, startProductsBulkOperation } from "../catalog/bulk-operation.server";
import os from "node:os";
import { mkdtempSync } from "node:fs";

let fake: FakeAdminApi;
const sleeps: number[] = [];
const client = (over: Partial<ConstructorParameters<typeof AdminGraphqlClient>[0]> = {}) =>
  new AdminGraphqlClient({ shop: "x.myshopify.com", accessToken: "tok", apiVersion: "2026-01", baseUrl: fake.baseUrl, baseDelayMs: 1, sleep: async (ms) => void sleeps.push(ms), ...over });

beforeAll(async () => {
  const file = await generateCatalog(path.join(mkdtempSync(path.join(os.tmpdir(), "cat-")), "c"));
  fake = new FakeAdminApi({ catalogFile: file, accessToken: "tok", bulkDurationMs: 10 });
  await fake.start();
});
afterAll(() => fake.stop());

describe("AdminGraphqlClient against the fake Admin API", () => {
  it("waits for the cost bucket when THROTTLED, then succeeds", async () => {
    sleeps.length = 0;
    fake.faults.throttle = 2;
    const c = client();
    const id = await startProductsBulkOperation(c);
    expect(id).toMatch(/BulkOperation/);
    expect(c.stats.throttled).toBe(2);
    expect(sleeps.length).toBe(2);
    expect(sleeps.every((ms) => ms > 0)).toBe(true);
  });

  it("retries 5xx and 429 with backoff, a bounded number of times", async () => {
    fake.faults.serverErrors = 2;
    fake.faults.tooManyRequests = 1;
    const c = client();
    let op = await bulkOperationState(c, `gid://shopify/BulkOperation/1`);
    expect(c.stats.retried).toBe(3);
    while (op.status !== "COMPLETED") op = await bulkOperationState(client({ sleep: undefined }), op.id);
    expect(op.url).toMatch(/\/bulk\/1\.jsonl$/);

    fake.faults.serverErrors = 10;
    await expect(client({ maxAttempts: 3 }).request("query { currentBulkOperation(type: QUERY) { id } }")).rejects.toThrow(/after 3 attempts/);
    fake.faults.serverErrors = 0;
  });

  it("does not retry a refused token", async () => {
    await expect(client({ accessToken: "wrong" }).request("{ shop { id } }")).rejects.toMatchObject({ retryable: false, status: 401 });
    expect(AdminApiError).toBeDefined();
  });

  it("computes the wait from the bucket's restore rate", () => {
    expect(throttleWaitMs({ maximumAvailable: 1000, currentlyAvailable: 0, restoreRate: 50 }, 100)).toBe(2_050);
    expect(throttleWaitMs({ maximumAvailable: 1000, currentlyAvailable: 500, restoreRate: 50 }, 100)).toBe(50);
  });
});
