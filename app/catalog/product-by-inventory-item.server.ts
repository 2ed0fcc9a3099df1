/**
 * The Admin API call behind inventory webhooks: an inventory_levels/update delivery names only an
 * inventory item and one location's quantity, not the product or whether the variant can still be
 * sold (other locations, "continue selling"), so the product is read back whole — the node
 * parseProductNode takes, with each variant's `availableForSale` as Shopify computes it.
 */
import type { AdminGraphqlClient } from "../shopify/admin-graphql.server";

export const PRODUCT_BY_INVENTORY_ITEM_QUERY = `query ProductByInventoryItem($id: ID!) {
  inventoryItem(id: $id) {
    variant {
      product {
        id handle title descriptionHtml productType vendor tags status updatedAt onlineStoreUrl totalInventory
        priceRangeV2 { minVariantPrice { amount currencyCode } }
        media(first: 20) { nodes { ... on MediaImage { id image { url } } } }
        variants(first: 100) { nodes { id price availableForSale image { url } } }
      }
    }
  }
}`;

/** "123" or "gid://shopify/InventoryItem/123" (or 123) → its gid; anything else → null. */
export function inventoryItemGid(value: unknown): string | null {
  const s = typeof value === "number" && Number.isSafeInteger(value) ? String(value) : typeof value === "string" ? value.trim() : "";
  const m = /^(?:gid:\/\/shopify\/InventoryItem\/)?(\d{1,20})$/.exec(s);
  return m ? `gid://shopify/InventoryItem/${m[1]}` : null;
}

/** The product node of the inventory item's variant, or null when Shopify knows no such item (deleted since). */
export async function productOfInventoryItem(client: AdminGraphqlClient, inventoryItemId: string): Promise<Record<string, unknown> | null> {
  const data = await client.request<{ inventoryItem: { variant: { product: Record<string, unknown> | null } | null } | null }>(
    PRODUCT_BY_INVENTORY_ITEM_QUERY,
    { id: inventoryItemId },
    5,
  );
  return data.inventoryItem?.variant?.product ?? null;
}
