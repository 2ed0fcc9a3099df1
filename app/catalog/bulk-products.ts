/**
 * Bulk operation JSONL → product nodes, streamed. Shopify writes each product line followed by
 * its child lines (media, variants) carrying `__parentId`; connections become separate lines.
 * We hold one product at a time and emit it when the next product starts (or at the end), so a
 * 200k-line file needs memory for one product, not the file. A child whose parent was already
 * emitted (Shopify documents parents before children, so this should not happen) is reported,
 * not silently dropped.
 */
export interface BulkProductNode {
  node: Record<string, unknown>;
  line: number;
}

export interface BulkReadIssue {
  line: number;
  reason: string;
}

export type BulkItem = { kind: "product"; product: BulkProductNode } | { kind: "issue"; issue: BulkReadIssue };

const PRODUCT_GID = /^gid:\/\/shopify\/Product\/\d+$/;

function childKind(id: unknown, row: Record<string, unknown>): "media" | "variants" | null {
  const s = typeof id === "string" ? id : "";
  if (s.includes("/ProductVariant/")) return "variants";
  if (s.includes("/MediaImage/") || s.includes("/Video/") || s.includes("/Model3d/") || s.includes("/ExternalVideo/") || "image" in row) return "media";
  return null;
}

export async function* assembleBulkProducts(lines: AsyncIterable<string>): AsyncGenerator<BulkItem> {
  let current: { node: Record<string, unknown>; line: number; media: unknown[]; variants: unknown[] } | null = null;
  let lineNo = 0;
  const flush = (): BulkItem | null => {
    if (!current) return null;
    const { node, line, media, variants } = current;
    current = null;
    return { kind: "product", product: { node: { ...node, media: { nodes: media }, variants: { nodes: variants } }, line } };
  };
  for await (const text of lines) {
    lineNo++;
    if (!text.trim()) continue;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(text) as Record<string, unknown>;
    } catch {
      yield { kind: "issue", issue: { line: lineNo, reason: "invalid JSON" } };
      continue;
    }
    const parent = row.__parentId;
    if (parent === undefined) {
      if (!PRODUCT_GID.test(String(row.id))) {
        yield { kind: "issue", issue: { line: lineNo, reason: `not a product: ${String(row.id).slice(0, 60)}` } };
        continue;
      }
      const done = flush();
      if (done) yield done;
      current = { node: row, line: lineNo, media: [], variants: [] };
      continue;
    }
    if (!current || current.node.id !== parent) {
      yield { kind: "issue", issue: { line: lineNo, reason: `child of ${String(parent).slice(0, 60)} arrived after its parent was complete` } };
      continue;
    }
    const kind = childKind(row.id, row);
    if (!kind) continue; // a connection we did not ask for
    delete row.__parentId;
    current[kind].push(row);
  }
  const last = flush();
  if (last) yield last;
}
