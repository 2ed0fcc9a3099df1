/**
 * Demo only (404 elsewhere): a link of the demo storefront's theme header (collections, pages,
 * search, account, cart), which a real shop's theme answers. The demo answers with its catalog.
 */
export { loader } from "./demo._index";
