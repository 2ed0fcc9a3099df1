import { describe, expect, it } from "vitest";
import { baseHandle, demoMarket } from "./demo-markets";

describe("demo markets", () => {
  it("takes the country from the query, then the localization cookie, and falls back to the default for one the shop does not have", () => {
    expect(demoMarket("fr", null)).toMatchObject({ country: "FR", currency: "EUR" });
    expect(demoMarket(null, "a=1; localization=FR; b=2")).toMatchObject({ country: "FR" });
    expect(demoMarket("US", "localization=FR")).toMatchObject({ country: "US" });
    expect(demoMarket("DE", null)).toMatchObject({ country: "US", currency: "USD" });
    expect(demoMarket("<script>", "localization=ZZZ")).toMatchObject({ country: "US" });
  });

  it("reads a French handle back to the product's", () => {
    expect(baseHandle("fr-hero-hoodie", "fr")).toBe("hero-hoodie");
    expect(baseHandle("fr-hero-hoodie", "en")).toBe("fr-hero-hoodie");
    expect(baseHandle("hero-hoodie", "fr")).toBe("hero-hoodie");
  });
});
