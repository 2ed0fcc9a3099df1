/**
 * Product filters: the `ProductFilter` shape, request-parameter parsing
 * (plain params + a small RediSearch-like `filter=` expression) and the
 * in-memory predicate `matchesFilter`.
 *
 * Semantics
 * - Every condition is AND-ed. Within one list (`productTypes`, `vendors`,
 *   `tags`) the values are OR-ed ("any of"), case-insensitively.
 * - `tagGroups` holds extra any-of tag groups, produced when a request names
 *   tags more than once (`@tag:{a|b} @tag:{c}` = (a OR b) AND c).
 * - Price bounds are inclusive unless `minPriceExclusive` / `maxPriceExclusive`.
 *
 * Expression grammar (whitespace separated terms, implicit AND):
 *   term   := '@' field ':' ( range | set )
 *   range  := '[' bound bound ']'      bound := ['('] number | '+inf' | '-inf' | 'inf'
 *   set    := '{' value ('|' value)* '}'   (escape '|', '}', '\' with '\')
 *   field  := price (range) | available ({true|false}) | type | vendor | tag
 * Negation (`-@type:{...}`), OR between terms and parentheses are not supported
 * and are rejected with a FilterError.
 */

export interface ProductFilter {
  minPrice?: number;
  maxPrice?: number;
  /** Extension: treat `minPrice` as exclusive (`@price:[(10 50]`). */
  minPriceExclusive?: boolean;
  /** Extension: treat `maxPrice` as exclusive (`@price:[10 (50]`). */
  maxPriceExclusive?: boolean;
  available?: boolean;
  productTypes?: string[];
  vendors?: string[];
  tags?: string[];
  /** Extension: further any-of tag groups, each AND-ed with `tags`. */
  tagGroups?: string[][];
  excludeIds?: string[];
  /** Merchant settings (never parsed from requests): products of these types are never returned. */
  excludeProductTypes?: string[];
  /** Merchant settings (never parsed from requests): products with any of these tags are never returned. */
  excludeTags?: string[];
}

export interface ProductAttributes {
  price: number;
  available: boolean;
  productType: string;
  vendor: string;
  tags: string[];
}

/** A client error in filter input; `message` is safe to return in a 400 body. */
export class FilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FilterError";
  }
}

export const MAX_EXPRESSION_LENGTH = 1_000;
/** Max number of type/vendor/tag values across the expression and plain params. */
export const MAX_FILTER_VALUES = 50;
/** Max number of ids in `exclude`. */
export const MAX_EXCLUDE_IDS = 250;

const NUMBER_RE = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

// ---------------------------------------------------------------------------
// Predicate

export function isEmptyFilter(filter: ProductFilter | undefined): boolean {
  if (!filter) return true;
  return (
    filter.minPrice === undefined &&
    filter.maxPrice === undefined &&
    filter.available === undefined &&
    !filter.productTypes?.length &&
    !filter.vendors?.length &&
    !filter.tags?.length &&
    !filter.tagGroups?.length &&
    !filter.excludeIds?.length &&
    !filter.excludeProductTypes?.length &&
    !filter.excludeTags?.length
  );
}

/** Attributes with type/vendor/tags trimmed and lower-cased (computed once per product). */
export interface NormalizedAttributes {
  price: number;
  available: boolean;
  productType: string;
  vendor: string;
  tags: string[];
}

export function normalizeAttributes(a: ProductAttributes): NormalizedAttributes {
  return {
    price: a.price,
    available: a.available,
    productType: a.productType.trim().toLowerCase(),
    vendor: a.vendor.trim().toLowerCase(),
    tags: a.tags.map((t) => t.trim().toLowerCase()),
  };
}

/**
 * Compiles a filter into a predicate over normalised attributes, so evaluating
 * it over many products is cheap (hot loops: compile once, normalise at write).
 */
export function compileNormalizedFilter(filter: ProductFilter): (attrs: NormalizedAttributes, id?: string) => boolean {
  const lowerSet = (xs: string[] | undefined) =>
    xs && xs.length ? new Set(xs.map((x) => x.trim().toLowerCase())) : undefined;
  const types = lowerSet(filter.productTypes);
  const vendors = lowerSet(filter.vendors);
  const tagGroups: Set<string>[] = [];
  const first = lowerSet(filter.tags);
  if (first) tagGroups.push(first);
  for (const g of filter.tagGroups ?? []) {
    const s = lowerSet(g);
    if (s) tagGroups.push(s);
  }
  const exclude = filter.excludeIds?.length ? new Set(filter.excludeIds) : undefined;
  const notTypes = lowerSet(filter.excludeProductTypes);
  const notTags = lowerSet(filter.excludeTags);
  const { minPrice, maxPrice, minPriceExclusive, maxPriceExclusive, available } = filter;

  return (attrs, id) => {
    if (exclude && id !== undefined && exclude.has(id)) return false;
    if (minPrice !== undefined) {
      if (!(minPriceExclusive ? attrs.price > minPrice : attrs.price >= minPrice)) return false;
    }
    if (maxPrice !== undefined) {
      if (!(maxPriceExclusive ? attrs.price < maxPrice : attrs.price <= maxPrice)) return false;
    }
    if (available !== undefined && attrs.available !== available) return false;
    if (types && !types.has(attrs.productType)) return false;
    if (vendors && !vendors.has(attrs.vendor)) return false;
    if (notTypes && notTypes.has(attrs.productType)) return false;
    if (notTags) for (const t of attrs.tags) if (notTags.has(t)) return false;
    for (const g of tagGroups) {
      let hit = false;
      for (const t of attrs.tags) {
        if (g.has(t)) {
          hit = true;
          break;
        }
      }
      if (!hit) return false;
    }
    return true;
  };
}

/** Like compileNormalizedFilter, for raw attributes. */
export function compileFilter(filter: ProductFilter): (attrs: ProductAttributes, id?: string) => boolean {
  const pred = compileNormalizedFilter(filter);
  return (attrs, id) => pred(normalizeAttributes(attrs), id);
}

/**
 * True when the product's attributes satisfy the filter. `excludeIds` is only
 * checked when `id` is given (attributes do not carry the id).
 */
export function matchesFilter(attrs: ProductAttributes, filter: ProductFilter, id?: string): boolean {
  return compileFilter(filter)(attrs, id);
}

// ---------------------------------------------------------------------------
// Expression parser

type SetField = "type" | "vendor" | "tag" | "available";

interface ParsedExpression {
  min?: { value: number; exclusive: boolean };
  max?: { value: number; exclusive: boolean };
  available?: boolean;
  types?: string[];
  vendors?: string[];
  tagGroups: string[][];
  valueCount: number;
}

/** A Map, not an object literal: `@__proto__` / `@constructor` must not name a field. */
const FIELD_ALIASES: ReadonlyMap<string, "price" | SetField> = new Map([
  ["price", "price"],
  ["available", "available"],
  ["availability", "available"],
  ["type", "type"],
  ["product_type", "type"],
  ["producttype", "type"],
  ["vendor", "vendor"],
  ["tag", "tag"],
  ["tags", "tag"],
]);

class ExpressionParser {
  private pos = 0;
  readonly out: ParsedExpression = { tagGroups: [], valueCount: 0 };

  constructor(private readonly src: string) {}

  private fail(message: string, at = this.pos): never {
    const token = this.src.slice(at, at + 12);
    const near = at >= this.src.length ? "end of expression" : `'${token}'`;
    throw new FilterError(`Invalid filter expression at position ${at + 1} (near ${near}): ${message}`);
  }

  private skipWs() {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos])) this.pos++;
  }

  private expect(ch: string, what: string) {
    this.skipWs();
    if (this.src[this.pos] !== ch) this.fail(`expected '${ch}' ${what}`);
    this.pos++;
  }

  parse(): ParsedExpression {
    this.skipWs();
    if (this.pos >= this.src.length) this.fail("expression is empty");
    while (this.pos < this.src.length) {
      this.term();
      this.skipWs();
    }
    return this.out;
  }

  private term() {
    const start = this.pos;
    const c = this.src[this.pos];
    if (c === "-" && this.src[this.pos + 1] === "@") this.fail("negated terms (-@field) are not supported");
    if (c === "|" || c === "(" || c === ")") this.fail("OR and parentheses between terms are not supported; terms are AND-ed");
    if (c !== "@") this.fail("expected a term like @price:[10 50] or @type:{Bags}");
    this.pos++;
    const m = /^[A-Za-z_]+/.exec(this.src.slice(this.pos));
    if (!m) this.fail("expected a field name after '@'");
    const rawName = m[0];
    const field = FIELD_ALIASES.get(rawName.toLowerCase());
    if (!field) {
      this.fail(`unknown field '@${rawName}' (allowed: @price, @available, @type, @vendor, @tag)`, start);
    }
    this.pos += rawName.length;
    if (this.src[this.pos] !== ":") this.fail(`expected ':' after '@${rawName}'`);
    this.pos++;
    this.skipWs();
    if (field === "price") {
      if (this.src[this.pos] !== "[") this.fail("@price takes a numeric range like [10 50]");
      this.priceRange();
    } else {
      if (this.src[this.pos] !== "{") this.fail(`@${rawName} takes a value set like {a|b}`);
      const values = this.valueSet(rawName);
      this.applySet(field, values, start);
    }
  }

  private bound(side: "min" | "max"): { value: number; exclusive: boolean } | null {
    this.skipWs();
    const start = this.pos;
    const m = /^[^\s\]]+/.exec(this.src.slice(this.pos));
    if (!m) this.fail(`expected the ${side === "min" ? "lower" : "upper"} price bound`);
    let tok = m[0];
    this.pos += tok.length;
    let exclusive = false;
    if (tok.startsWith("(")) {
      exclusive = true;
      tok = tok.slice(1);
    }
    const low = tok.toLowerCase();
    if (low === "-inf") {
      if (side === "max") this.fail("upper price bound cannot be -inf", start);
      return null;
    }
    if (low === "+inf" || low === "inf") {
      if (side === "min") this.fail("lower price bound cannot be +inf", start);
      return null;
    }
    if (tok.startsWith("-")) this.fail(`price bound '${m[0]}' must not be negative`, start);
    if (!NUMBER_RE.test(tok)) this.fail(`price bound '${m[0]}' is not a number`, start);
    const value = Number(tok);
    if (!Number.isFinite(value)) this.fail(`price bound '${m[0]}' is not finite`, start);
    return { value, exclusive };
  }

  private priceRange() {
    const open = this.pos;
    this.pos++; // '['
    const lo = this.bound("min");
    const hi = this.bound("max");
    this.skipWs();
    if (this.pos >= this.src.length) this.fail("unterminated price range, expected ']'");
    if (this.src[this.pos] !== "]") this.fail("expected ']' after the two price bounds");
    this.pos++;
    if (lo && hi && (lo.value > hi.value || (lo.value === hi.value && (lo.exclusive || hi.exclusive)))) {
      this.fail(`price range is empty (min ${lo.value} > max ${hi.value})`, open);
    }
    // AND with earlier @price terms: tighten.
    if (lo) this.out.min = tighterMin(this.out.min, lo);
    if (hi) this.out.max = tighterMax(this.out.max, hi);
  }

  private valueSet(rawName: string): string[] {
    this.pos++; // '{'
    const values: string[] = [];
    let cur = "";
    let curStart = this.pos;
    for (;;) {
      if (this.pos >= this.src.length) this.fail(`unterminated value set for @${rawName}, expected '}'`);
      const ch = this.src[this.pos];
      if (ch === "\\") {
        const next = this.src[this.pos + 1];
        if (next === undefined) this.fail("dangling escape '\\'");
        cur += next;
        this.pos += 2;
        continue;
      }
      if (ch === "|" || ch === "}") {
        const v = cur.trim();
        if (!v) this.fail(`empty value in @${rawName} set`, curStart);
        values.push(v);
        this.pos++;
        if (ch === "}") break;
        cur = "";
        curStart = this.pos;
        continue;
      }
      if (ch === "{") this.fail("unexpected '{' inside a value set (escape it with '\\')");
      cur += ch;
      this.pos++;
    }
    this.out.valueCount += values.length;
    if (this.out.valueCount > MAX_FILTER_VALUES) {
      this.fail(`too many values (limit ${MAX_FILTER_VALUES})`);
    }
    return values;
  }

  private applySet(field: SetField, values: string[], at: number) {
    switch (field) {
      case "available": {
        if (values.length !== 1) this.fail("@available takes exactly one value: {true} or {false}", at);
        const b = parseBool(values[0]);
        if (b === undefined) this.fail(`@available value '${values[0]}' must be true or false`, at);
        if (this.out.available !== undefined && this.out.available !== b) {
          this.fail("@available is given both true and false", at);
        }
        this.out.available = b;
        return;
      }
      case "type":
        this.out.types = intersectOrFail(this.out.types, values, "@type", (m) => this.fail(m, at));
        return;
      case "vendor":
        this.out.vendors = intersectOrFail(this.out.vendors, values, "@vendor", (m) => this.fail(m, at));
        return;
      case "tag":
        this.out.tagGroups.push(values);
        return;
    }
  }
}

function tighterMin(
  a: { value: number; exclusive: boolean } | undefined,
  b: { value: number; exclusive: boolean },
) {
  if (!a) return b;
  if (b.value > a.value) return b;
  if (b.value < a.value) return a;
  return { value: a.value, exclusive: a.exclusive || b.exclusive };
}

function tighterMax(
  a: { value: number; exclusive: boolean } | undefined,
  b: { value: number; exclusive: boolean },
) {
  if (!a) return b;
  if (b.value < a.value) return b;
  if (b.value > a.value) return a;
  return { value: a.value, exclusive: a.exclusive || b.exclusive };
}

/** AND of two any-of sets over a single-valued attribute = intersection. */
function intersectOrFail(
  prev: string[] | undefined,
  next: string[],
  label: string,
  fail: (message: string) => never,
): string[] {
  const dedup = (xs: string[]) => {
    const seen = new Set<string>();
    return xs.filter((x) => {
      const k = x.toLowerCase();
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  };
  if (!prev) return dedup(next);
  const nextLower = new Set(next.map((x) => x.toLowerCase()));
  const both = prev.filter((x) => nextLower.has(x.toLowerCase()));
  if (!both.length) fail(`${label} conditions cannot all hold (no value in common)`);
  return dedup(both);
}

function parseBool(s: string): boolean | undefined {
  const v = s.trim().toLowerCase();
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  return undefined;
}

export function parseFilterExpression(expression: string): ProductFilter {
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw new FilterError(`Filter expression is too long (${expression.length} > ${MAX_EXPRESSION_LENGTH} characters)`);
  }
  const p = new ExpressionParser(expression).parse();
  return expressionToFilter(p);
}

function expressionToFilter(p: ParsedExpression): ProductFilter {
  const f: ProductFilter = {};
  if (p.min) {
    f.minPrice = p.min.value;
    if (p.min.exclusive) f.minPriceExclusive = true;
  }
  if (p.max) {
    f.maxPrice = p.max.value;
    if (p.max.exclusive) f.maxPriceExclusive = true;
  }
  if (p.available !== undefined) f.available = p.available;
  if (p.types) f.productTypes = p.types;
  if (p.vendors) f.vendors = p.vendors;
  if (p.tagGroups.length) {
    f.tags = p.tagGroups[0];
    if (p.tagGroups.length > 1) f.tagGroups = p.tagGroups.slice(1);
  }
  return f;
}

// ---------------------------------------------------------------------------
// Plain params

function listParam(params: URLSearchParams, ...names: string[]): string[] | undefined {
  const out: string[] = [];
  let present = false;
  for (const name of names) {
    for (const raw of params.getAll(name)) {
      present = true;
      for (const part of raw.split(",")) {
        const v = part.trim();
        if (v) out.push(v);
      }
    }
  }
  return present && out.length ? out : undefined;
}

function priceParam(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw.trim() === "") return undefined;
  const v = raw.trim();
  if (v.startsWith("-")) throw new FilterError(`${name} must not be negative (got '${raw}')`);
  if (!NUMBER_RE.test(v) || !Number.isFinite(Number(v))) {
    throw new FilterError(`${name} must be a non-negative number (got '${raw}')`);
  }
  return Number(v);
}

/**
 * Parses request search params into a ProductFilter. Plain params and the
 * `filter` expression are AND-ed. Throws FilterError (→ HTTP 400) on bad input.
 */
export function parseFilterParams(params: URLSearchParams): ProductFilter {
  const minPrice = priceParam(params, "min_price");
  const maxPrice = priceParam(params, "max_price");
  if (minPrice !== undefined && maxPrice !== undefined && minPrice > maxPrice) {
    throw new FilterError(`min_price (${minPrice}) must not be greater than max_price (${maxPrice})`);
  }

  let available: boolean | undefined;
  const availRaw = params.get("available");
  if (availRaw !== null && availRaw.trim() !== "") {
    available = parseBool(availRaw);
    if (available === undefined) {
      throw new FilterError(`available must be one of true, false, 1, 0 (got '${availRaw}')`);
    }
  }

  const types = listParam(params, "type");
  const vendors = listParam(params, "vendor");
  const tags = listParam(params, "tag");
  const exclude = listParam(params, "exclude");
  if (exclude && exclude.length > MAX_EXCLUDE_IDS) {
    throw new FilterError(`exclude has too many ids (${exclude.length} > ${MAX_EXCLUDE_IDS})`);
  }
  const excludeIds = exclude?.map(excludeId);

  const expr = params.get("filter");
  let parsed: ParsedExpression = { tagGroups: [], valueCount: 0 };
  if (expr !== null && expr.trim() !== "") {
    if (expr.length > MAX_EXPRESSION_LENGTH) {
      throw new FilterError(`filter expression is too long (${expr.length} > ${MAX_EXPRESSION_LENGTH} characters)`);
    }
    parsed = new ExpressionParser(expr).parse();
  }

  const totalValues = parsed.valueCount + (types?.length ?? 0) + (vendors?.length ?? 0) + (tags?.length ?? 0);
  if (totalValues > MAX_FILTER_VALUES) {
    throw new FilterError(`too many filter values (${totalValues} > ${MAX_FILTER_VALUES})`);
  }

  // AND plain params into the parsed expression.
  const fail = (m: string): never => {
    throw new FilterError(m);
  };
  if (minPrice !== undefined) parsed.min = tighterMin(parsed.min, { value: minPrice, exclusive: false });
  if (maxPrice !== undefined) parsed.max = tighterMax(parsed.max, { value: maxPrice, exclusive: false });
  if (
    parsed.min &&
    parsed.max &&
    (parsed.min.value > parsed.max.value ||
      (parsed.min.value === parsed.max.value && (parsed.min.exclusive || parsed.max.exclusive)))
  ) {
    fail(`price conditions cannot all hold (min ${parsed.min.value} > max ${parsed.max.value})`);
  }
  if (available !== undefined) {
    if (parsed.available !== undefined && parsed.available !== available) {
      fail("available param contradicts @available in the filter expression");
    }
    parsed.available = available;
  }
  if (types) parsed.types = intersectOrFail(parsed.types, types, "type", fail);
  if (vendors) parsed.vendors = intersectOrFail(parsed.vendors, vendors, "vendor", fail);
  if (tags) parsed.tagGroups.unshift(tags);

  const f = expressionToFilter(parsed);
  if (excludeIds) f.excludeIds = [...new Set(excludeIds)];
  return f;
}

const PRODUCT_ID_RE = /^(?:gid:\/\/shopify\/Product\/)?(\d{1,20})$/;

/** An `exclude` entry as the catalog's numeric id ("gid://shopify/Product/0042" → "42"); anything else is a FilterError. */
function excludeId(raw: string): string {
  const m = PRODUCT_ID_RE.exec(raw);
  if (!m) throw new FilterError(`exclude ids must be numeric or gid://shopify/Product/<id> (got '${raw.slice(0, 40)}')`);
  return m[1].replace(/^0+(?=\d)/, "");
}
