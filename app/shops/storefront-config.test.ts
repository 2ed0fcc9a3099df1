import { describe, expect, it } from "vitest";
import { parseStoredSettings } from "./shop-settings";
import { storefrontConfig } from "./storefront-config";

describe("storefrontConfig", () => {
  it("tells the blocks the merchant's switches and number of results, nothing else", () => {
    const s = parseStoredSettings(JSON.stringify({ resultsCount: 5, excludedTags: ["secret"], blocks: { similar: false, photoSearch: true, launcher: false } }));
    expect(storefrontConfig(s)).toEqual({ blocks: { similar: false, photoSearch: true, launcher: false }, resultsCount: 5 });
  });
});
