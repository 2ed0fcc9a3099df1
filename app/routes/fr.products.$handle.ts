/** Demo only (404 elsewhere): a product page in the storefront's French locale (`routes.root_url` = /fr). */
export { loader } from "./demo.products.$handle";
