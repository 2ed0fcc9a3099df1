/** The demo shop's one name: its storefront, its catalog page and its Shop row. */
export const DEMO_SHOP_NAME = "Lookalike Demo Store";
