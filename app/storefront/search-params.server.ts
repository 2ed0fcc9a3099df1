/** Parses and validates the storefront API's query parameters (clear 400s, never a stack trace). */
import { productNumericId } from "../catalog/product-node";
import { FilterError, parseFilterParams, type ProductFilter } from "../search/filters";
import { ProxyError } from "./proxy-errors.server";

export const MAX_LIMIT = 50;
export const DEFAULT_LIMIT = 10;

/** The requested number of results; undefined when not given (the shop's resultsCount applies). */
export function parseLimit(params: URLSearchParams): number | undefined {
  const raw = params.get("limit");
  if (raw === null || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw new ProxyError(400, "invalid_limit", `limit must be an integer from 1 to ${MAX_LIMIT}`);
  return n;
}

export function parseProductId(params: URLSearchParams): string {
  const raw = params.get("product_id");
  if (!raw) throw new ProxyError(400, "missing_product_id", "product_id is required (numeric id or gid://shopify/Product/<id>)");
  const id = productNumericId(raw);
  if (!id) throw new ProxyError(400, "invalid_product_id", "product_id must be a numeric id or gid://shopify/Product/<id>");
  return id;
}

export function parseFilter(params: URLSearchParams): ProductFilter {
  try {
    return parseFilterParams(params);
  } catch (err) {
    if (err instanceof FilterError) throw new ProxyError(400, "invalid_filter", err.message);
    throw err;
  }
}
