/** The Admin API calls of a bulk sync: start the products bulk query, read its status. */
import { AdminApiError, type AdminGraphqlClient } from "../shopify/admin-graphql.server";

/** Every product field the app needs; connections become child lines in the JSONL result. */
export const PRODUCTS_BULK_QUERY = `{
  products {
    edges {
      node {
        id handle title descriptionHtml productType vendor tags status updatedAt onlineStoreUrl totalInventory
        priceRangeV2 { minVariantPrice { amount currencyCode } maxVariantPrice { amount currencyCode } }
        media {
          edges { node { ... on MediaImage { id alt image { url altText width height } } } }
        }
        variants {
          edges { node { id title price compareAtPrice availableForSale selectedOptions { name value } image { url } } }
        }
      }
    }
  }
}`;

export interface BulkOperationState {
  id: string;
  status: "CREATED" | "RUNNING" | "COMPLETED" | "CANCELING" | "CANCELED" | "FAILED" | "EXPIRED";
  errorCode: string | null;
  objectCount: string | null;
  url: string | null;
}

const START = `mutation RunProductsBulk($query: String!) {
  bulkOperationRunQuery(query: $query) { bulkOperation { id status } userErrors { field message } }
}`;

const STATUS = `query BulkOperation($id: ID!) {
  node(id: $id) { ... on BulkOperation { id status errorCode objectCount url } }
}`;

const CURRENT = `query { currentBulkOperation(type: QUERY) { id status errorCode objectCount url } }`;

export async function startProductsBulkOperation(client: AdminGraphqlClient): Promise<string> {
  const data = await client.request<{ bulkOperationRunQuery: { bulkOperation: { id: string } | null; userErrors: { message: string }[] } }>(START, { query: PRODUCTS_BULK_QUERY });
  const { bulkOperation, userErrors } = data.bulkOperationRunQuery;
  if (bulkOperation) return bulkOperation.id;
  const message = userErrors.map((e) => e.message).join("; ");
  if (/already in progress/i.test(message)) {
    // One bulk query per shop and app at a time: adopt the running one (it is ours).
    const current = await client.request<{ currentBulkOperation: BulkOperationState | null }>(CURRENT);
    if (current.currentBulkOperation && ["CREATED", "RUNNING"].includes(current.currentBulkOperation.status)) return current.currentBulkOperation.id;
  }
  throw new AdminApiError(`could not start the bulk operation: ${message || "no operation returned"}`, true);
}

export async function bulkOperationState(client: AdminGraphqlClient, id: string): Promise<BulkOperationState> {
  const data = await client.request<{ node: BulkOperationState | null }>(STATUS, { id }, 1);
  if (!data.node) throw new AdminApiError(`bulk operation ${id} not found`, false);
  return data.node;
}
