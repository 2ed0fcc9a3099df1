/**
 * What ranking refuses, as domain errors: the storefront maps them to HTTP (app/storefront/
 * proxy-errors.server.ts, `proxyErrorOf`); other callers (the admin preview) decide for themselves.
 */

/** The product asked about is not in the shop's searchable catalog (unknown, not embedded yet, or gone). */
export class ProductNotFound extends Error {
  constructor(public readonly productId: string) {
    super(`Product ${productId} is not in the shop's searchable catalog.`);
    this.name = "ProductNotFound";
  }
}
