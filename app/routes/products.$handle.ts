/**
 * Demo only (404 elsewhere): a storefront's product path. The theme blocks' cards and the photo
 * results link to `/products/<handle>`, as on a real shop; the demo answers it with its product page.
 */
export { loader } from "./demo.products.$handle";
