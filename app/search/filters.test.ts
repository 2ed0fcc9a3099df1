import { describe, expect, it } from "vitest";
import {
  FilterError,
  MAX_EXCLUDE_IDS,
  matchesFilter,
  parseFilterExpression,
  parseFilterParams,
  type ProductAttributes,
} from "./filters";

const qp = (s: string) => parseFilterParams(new URLSearchParams(s));
const expr = (e: string) => parseFilterParams(new URLSearchParams({ filter: e }));

function errorOf(fn: () => unknown): FilterError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FilterError);
    return e as FilterError;
  }
  throw new Error("expected a FilterError");
}

const bag: ProductAttributes = {
  price: 25,
  available: true,
  productType: "Bags",
  vendor: "Acme Leather",
  tags: ["Summer", "sale"],
};

describe("parseFilterParams: plain params", () => {
  it("parses prices, availability and lists", () => {
    expect(qp("min_price=10&max_price=50.5&available=1&type=Bags,Watches&vendor=Acme&tag=a&tag=b,c&exclude=12,gid://shopify/Product/34")).toEqual({
      minPrice: 10,
      maxPrice: 50.5,
      available: true,
      productTypes: ["Bags", "Watches"],
      vendors: ["Acme"],
      tags: ["a", "b", "c"],
      excludeIds: ["12", "34"],
    });
    expect(qp("available=false")).toEqual({ available: false });
    expect(qp("available=0")).toEqual({ available: false });
    expect(qp("")).toEqual({});
  });

  it("rejects negative, non-numeric and inverted prices", () => {
    expect(errorOf(() => qp("min_price=-1")).message).toMatch(/min_price must not be negative/);
    expect(errorOf(() => qp("max_price=abc")).message).toMatch(/max_price must be a non-negative number/);
    expect(errorOf(() => qp("max_price=Infinity")).message).toMatch(/max_price/);
    expect(errorOf(() => qp("min_price=50&max_price=10")).message).toMatch(/min_price \(50\) must not be greater than max_price \(10\)/);
    expect(errorOf(() => qp("available=yes")).message).toMatch(/available must be one of/);
  });

  it("accepts only product ids in exclude, numeric or gid, at most MAX_EXCLUDE_IDS", () => {
    expect(qp("exclude=0042,gid://shopify/Product/42,7&exclude=gid://shopify/Product/9")).toEqual({ excludeIds: ["42", "7", "9"] });
    for (const bad of ["x", "12a", "gid://shopify/ProductVariant/1", "-1", "1.5", "1".repeat(21), "%20".repeat(3) + "x"]) {
      expect(errorOf(() => qp(`exclude=${encodeURIComponent(bad)}`)).message, bad).toMatch(/exclude ids must be numeric/);
    }
    const ids = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1)).join(",");
    expect(qp(`exclude=${ids(MAX_EXCLUDE_IDS)}`).excludeIds).toHaveLength(MAX_EXCLUDE_IDS);
    expect(errorOf(() => qp(`exclude=${ids(MAX_EXCLUDE_IDS + 1)}`)).message).toMatch(/too many ids/);
  });

  it("limits the number of values", () => {
    const many = Array.from({ length: 51 }, (_, i) => `t${i}`).join(",");
    expect(errorOf(() => qp(`type=${many}`)).message).toMatch(/too many filter values/);
  });
});

describe("parseFilterParams: expression", () => {
  it("parses ranges, sets and availability", () => {
    expect(expr("@price:[10 50] @available:{true} @type:{Bags|Watches} @vendor:{Acme Leather} @tag:{a|b}")).toEqual({
      minPrice: 10,
      maxPrice: 50,
      available: true,
      productTypes: ["Bags", "Watches"],
      vendors: ["Acme Leather"],
      tags: ["a", "b"],
    });
  });

  it("supports exclusive and infinite bounds", () => {
    expect(expr("@price:[(10 +inf]")).toEqual({ minPrice: 10, minPriceExclusive: true });
    expect(expr("@price:[-inf (50]")).toEqual({ maxPrice: 50, maxPriceExclusive: true });
    expect(expr("@price:[-inf +inf]")).toEqual({});
  });

  it("ANDs expression with plain params", () => {
    expect(parseFilterParams(new URLSearchParams({ filter: "@price:[10 50] @type:{Bags|Watches}", max_price: "30", type: "bags" }))).toEqual({
      minPrice: 10,
      maxPrice: 30,
      productTypes: ["Bags"],
    });
    const f = parseFilterParams(new URLSearchParams({ filter: "@tag:{a|b}", tag: "c" }));
    expect(f).toEqual({ tags: ["c"], tagGroups: [["a", "b"]] });
    expect(matchesFilter({ ...bag, tags: ["a", "c"] }, f)).toBe(true);
    expect(matchesFilter({ ...bag, tags: ["a"] }, f)).toBe(false);
    expect(errorOf(() => parseFilterParams(new URLSearchParams({ filter: "@type:{Bags}", type: "Hats" }))).message).toMatch(
      /type conditions cannot all hold/,
    );
    expect(errorOf(() => parseFilterParams(new URLSearchParams({ filter: "@price:[60 +inf]", max_price: "10" }))).message).toMatch(
      /price conditions cannot all hold/,
    );
  });

  it("names only its own fields: Object.prototype members are unknown fields", () => {
    for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "__defineGetter__"]) {
      expect(errorOf(() => expr(`@${name}:{x}`)).message, name).toMatch(new RegExp(`unknown field '@${name}'`));
      expect(errorOf(() => expr(`@${name}:[1 2]`)).message, name).toMatch(/unknown field/);
    }
  });

  it("handles escapes and whitespace in values", () => {
    expect(parseFilterExpression("@tag:{ a\\|b | c\\}d }")).toEqual({ tags: ["a|b", "c}d"] });
  });

  it("reports helpful errors with positions", () => {
    expect(errorOf(() => expr("@price:[10")).message).toMatch(/position \d+.*(expected the upper price bound|unterminated)/);
    expect(errorOf(() => expr("@price:[10 50")).message).toMatch(/unterminated price range/);
    expect(errorOf(() => expr("@price:[a b]")).message).toMatch(/position 9 .*price bound 'a' is not a number/);
    expect(errorOf(() => expr("@unknown:{x}")).message).toMatch(/position 1 .*unknown field '@unknown'/);
    expect(errorOf(() => expr("@price:[50 10]")).message).toMatch(/price range is empty \(min 50 > max 10\)/);
    expect(errorOf(() => expr("@price:[-5 10]")).message).toMatch(/must not be negative/);
    expect(errorOf(() => expr("@type:{Bags")).message).toMatch(/unterminated value set/);
    expect(errorOf(() => expr("@type:{}")).message).toMatch(/empty value/);
    expect(errorOf(() => expr("@available:{maybe}")).message).toMatch(/must be true or false/);
    expect(errorOf(() => expr("-@type:{Bags}")).message).toMatch(/negated terms/);
    expect(errorOf(() => expr("@type:{Bags} | @type:{Hats}")).message).toMatch(/OR and parentheses/);
    expect(errorOf(() => expr("price:[1 2]")).message).toMatch(/expected a term/);
    expect(errorOf(() => expr("@price [1 2]")).message).toMatch(/expected ':'/);
    expect(errorOf(() => expr("@type:[1 2]")).message).toMatch(/takes a value set/);
  });

  it("enforces length and value limits", () => {
    expect(errorOf(() => expr(`@tag:{${"x".repeat(1000)}}`)).message).toMatch(/too long/);
    const vals = Array.from({ length: 51 }, (_, i) => `v${i}`).join("|");
    expect(errorOf(() => expr(`@tag:{${vals}}`)).message).toMatch(/too many values/);
  });
});

describe("matchesFilter", () => {
  it("checks every condition, case-insensitively", () => {
    expect(matchesFilter(bag, {})).toBe(true);
    expect(matchesFilter(bag, { minPrice: 25, maxPrice: 25 })).toBe(true);
    expect(matchesFilter(bag, { minPrice: 25, minPriceExclusive: true })).toBe(false);
    expect(matchesFilter(bag, { maxPrice: 25, maxPriceExclusive: true })).toBe(false);
    expect(matchesFilter(bag, { maxPrice: 24.99 })).toBe(false);
    expect(matchesFilter(bag, { available: false })).toBe(false);
    expect(matchesFilter(bag, { productTypes: ["bags"] })).toBe(true);
    expect(matchesFilter(bag, { productTypes: ["watches"] })).toBe(false);
    expect(matchesFilter(bag, { vendors: ["ACME LEATHER"] })).toBe(true);
    expect(matchesFilter(bag, { tags: ["SALE", "winter"] })).toBe(true);
    expect(matchesFilter(bag, { tags: ["winter"] })).toBe(false);
    expect(matchesFilter(bag, { excludeIds: ["p1"] }, "p1")).toBe(false);
    expect(matchesFilter(bag, { excludeIds: ["p1"] }, "p2")).toBe(true);
  });
});
