import { describe, expect, it } from "vitest";
import { canonicalFilter } from "./canonical-filter";
import { parseFilterParams } from "./filters";

const c = (q: string) => canonicalFilter(parseFilterParams(new URLSearchParams(q)));

describe("canonicalFilter", () => {
  it("is the same for filters that select the same products", () => {
    expect(c("type=Bags,Watches&vendor=Acme")).toBe(c("vendor=acme&type= watches ,BAGS,bags"));
    expect(c("filter=@tag:{a|b} @tag:{c}")).toBe(c("filter=@tag:{C} @tag:{B|a|a}"));
    expect(c("tag=a&filter=@tag:{c}")).toBe(c("filter=@tag:{c} @tag:{a}"));
    expect(c("exclude=3,1,gid://shopify/Product/2,01")).toBe(c("exclude=1,2,3"));
    expect(c("min_price=10&max_price=50")).toBe(c("filter=@price:[10 50]"));
    expect(c("")).toBe(canonicalFilter({}));
  });

  it("differs when the selection differs", () => {
    const all = ["", "type=bags", "vendor=bags", "tag=bags", "tag=a,b", "tag=a&filter=@tag:{b}", "exclude=1", "exclude=10", "min_price=10", "max_price=10", "filter=@price:[(10 +inf]", "available=true", "available=false"];
    expect(new Set(all.map(c)).size).toBe(all.length);
    expect(canonicalFilter({ excludeTags: ["x"] })).not.toBe(canonicalFilter({ excludeProductTypes: ["x"] }));
  });
});
