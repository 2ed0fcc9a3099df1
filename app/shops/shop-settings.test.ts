import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, parseStoredSettings, validateSettings } from "./shop-settings";

describe("shop settings", () => {
  it("accepts a valid full settings object", () => {
    const input = { ...DEFAULT_SETTINGS, weights: { image: 1, color: 0, text: 0.5 }, resultsCount: 12, excludedTags: [" Sale ", "Sale", "Gift"] };
    const { settings, errors } = validateSettings(input);
    expect(errors).toEqual({});
    expect(settings.weights).toEqual({ image: 1, color: 0, text: 0.5 });
    expect(settings.excludedTags).toEqual(["Sale", "Gift"]);
  });

  it("names each invalid field", () => {
    const { errors } = validateSettings({ ...DEFAULT_SETTINGS, weights: { image: 2, color: -1, text: "x" }, resultsCount: 0, priceBand: -1 });
    expect(Object.keys(errors).sort()).toEqual(["priceBand", "resultsCount", "weights.color", "weights.image", "weights.text"]);
    expect(validateSettings({ ...DEFAULT_SETTINGS, weights: { image: 0, color: 0, text: 0 } }).errors.weights).toMatch(/above 0/);
  });

  it("reads stored JSON tolerantly: garbage and invalid fields fall back to defaults", () => {
    expect(parseStoredSettings("not json")).toEqual(DEFAULT_SETTINGS);
    expect(parseStoredSettings(JSON.stringify({ resultsCount: 999, hideOutOfStock: true })).resultsCount).toBe(DEFAULT_SETTINGS.resultsCount);
    expect(parseStoredSettings(JSON.stringify({ hideOutOfStock: true })).hideOutOfStock).toBe(true);
    expect(parseStoredSettings(JSON.stringify({ weights: { text: 1 } })).weights).toEqual({ ...DEFAULT_SETTINGS.weights, text: 1 });
  });
});
