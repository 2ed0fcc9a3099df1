/** Demo only (404 elsewhere): the app proxy under the storefront's French locale prefix, as Shopify serves it. */
export { action, loader } from "./apps.lookalike.$";
