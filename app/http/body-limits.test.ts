import { describe, expect, it } from "vitest";
import { bodyLimitFor, EVENTS_BODY_MAX_BYTES, MAX_PHOTO_BYTES, PHOTO_BODY_MAX_BYTES, WEBHOOK_BODY_MAX_BYTES } from "./body-limits";
import { MAX_EVENT_BYTES } from "../analytics/storefront-events.server";
import { MAX_UPLOAD_BYTES } from "../storefront/photo-upload.server";

describe("bodyLimitFor", () => {
  it("gives each route the cap of what it is sent", () => {
    const env = {} as unknown as NodeJS.ProcessEnv;
    expect(bodyLimitFor("/webhooks/products/update", env)).toMatchObject({ route: "webhook", maxBytes: WEBHOOK_BODY_MAX_BYTES });
    expect(bodyLimitFor("/proxy/visual-search", env)).toMatchObject({ route: "photo", maxBytes: PHOTO_BODY_MAX_BYTES, deadlineMs: 20_000 });
    expect(bodyLimitFor("/apps/lookalike/visual-search", env)).toMatchObject({ route: "photo" });
    expect(bodyLimitFor("/fr/apps/lookalike/visual-search", env)).toMatchObject({ route: "photo" });
    expect(bodyLimitFor("/proxy/events", env)).toMatchObject({ route: "events", maxBytes: EVENTS_BODY_MAX_BYTES });
    expect(bodyLimitFor("/app/preview", env)).toMatchObject({ route: "admin-photo" });
    expect(bodyLimitFor("/app/settings", env)).toMatchObject({ route: "admin" });
    expect(bodyLimitFor("/anything", env)).toMatchObject({ route: "default" });
    expect(bodyLimitFor("/proxy/visual-search", { PHOTO_UPLOAD_DEADLINE_MS: "1500" } as unknown as NodeJS.ProcessEnv).deadlineMs).toBe(1500);
  });

  it("stays above what the app itself accepts", () => {
    expect(MAX_PHOTO_BYTES).toBe(MAX_UPLOAD_BYTES);
    expect(PHOTO_BODY_MAX_BYTES).toBeGreaterThan(MAX_UPLOAD_BYTES);
    expect(EVENTS_BODY_MAX_BYTES).toBeGreaterThan(MAX_EVENT_BYTES);
  });
});
