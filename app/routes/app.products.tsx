import { useCallback, useEffect, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useFetcher, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { Badge, BlockStack, Button, Card, EmptyState, IndexTable, InlineStack, Modal, Page, Tabs, Text, TextField } from "@shopify/polaris";
import { adminDeps } from "../admin/admin-deps.server";
import { productsAction, productsLoader, type EmbedStateFilter, type ProductsActionResult } from "../admin/products.server";
import { AdminErrorBoundary, formatPrice, ProductThumb, useResultToast, useToast } from "../admin/ui";

export const loader = async ({ request }: LoaderFunctionArgs) => json(await productsLoader({ request }, await adminDeps()));
export const action = async ({ request }: ActionFunctionArgs) => json(await productsAction({ request }, await adminDeps()));

const TABS: { id: EmbedStateFilter; content: string }[] = [
  { id: "all", content: "All" },
  { id: "embedded", content: "Searchable" },
  { id: "pending", content: "Waiting" },
  { id: "failed", content: "Failed" },
];

function StateBadge({ state }: { state: string }) {
  if (state === "embedded") return <Badge tone="success">Searchable</Badge>;
  if (state === "failed") return <Badge tone="critical">Failed</Badge>;
  return <Badge tone="attention" progress="partiallyComplete">Waiting</Badge>;
}

function RetryButton({ productId }: { productId: string }) {
  const fetcher = useFetcher<ProductsActionResult>();
  const [toast, show] = useToast();
  useResultToast(fetcher.data, show);
  return (
    <>
      <Button size="slim" loading={fetcher.state !== "idle"} onClick={() => fetcher.submit({ intent: "retry", productId }, { method: "post" })}>Retry</Button>
      {toast}
    </>
  );
}

export default function Products() {
  const data = useLoaderData<typeof loader>();
  const [params, setParams] = useSearchParams();
  const navigation = useNavigation();
  const [query, setQuery] = useState(data.query);
  const [confirm, setConfirm] = useState(false);
  const bulk = useFetcher<ProductsActionResult>();
  const [toast, show] = useToast();
  useResultToast(bulk.data, show);

  const go = useCallback(
    (changes: Record<string, string | null>) => {
      const next = new URLSearchParams(params);
      for (const [k, v] of Object.entries(changes)) (v ? next.set(k, v) : next.delete(k));
      if (!("page" in changes)) next.delete("page");
      setParams(next, { replace: true });
    },
    [params, setParams],
  );

  // Search as the merchant types (debounced).
  useEffect(() => {
    if (query === data.query) return;
    const t = setTimeout(() => go({ q: query || null }), 300);
    return () => clearTimeout(t);
  }, [query, data.query, go]);

  // Waiting products change by themselves: refresh while any are shown.
  const hasPending = data.rows.some((r) => r.embedState === "pending");
  const fetcherIdle = bulk.state === "idle";
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!hasPending || !fetcherIdle) return;
    const t = setTimeout(() => setTick((n) => n + 1), 3_000);
    return () => clearTimeout(t);
  }, [hasPending, fetcherIdle, tick]);
  useEffect(() => {
    if (tick > 0 && navigation.state === "idle") setParams(new URLSearchParams(params), { replace: true, preventScrollReset: true });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tick]);

  const selectedTab = Math.max(0, TABS.findIndex((t) => t.id === data.state));
  const loading = navigation.state === "loading" && navigation.location?.pathname === "/app/products";

  const rows = data.rows.map((r, i) => (
    <IndexTable.Row id={r.id} key={r.id} position={i}>
      <IndexTable.Cell>
        <ProductThumb src={r.image} title={r.title} />
      </IndexTable.Cell>
      <IndexTable.Cell>
        <BlockStack gap="050">
          <Text as="span" variant="bodyMd" fontWeight="semibold">{r.title}</Text>
          <Text as="span" variant="bodySm" tone="subdued">{r.productType || "—"}</Text>
        </BlockStack>
      </IndexTable.Cell>
      <IndexTable.Cell>{formatPrice(r.price, r.currency)}</IndexTable.Cell>
      <IndexTable.Cell><StateBadge state={r.embedState} /></IndexTable.Cell>
      <IndexTable.Cell>
        {r.embedState === "failed" ? (
          <div style={{ maxWidth: 360, whiteSpace: "normal" }}>
            <Text as="span" variant="bodySm" tone="critical">{r.embedError ?? "Unknown reason"}</Text>
          </div>
        ) : null}
      </IndexTable.Cell>
      <IndexTable.Cell>{r.embedState === "failed" ? <RetryButton productId={r.id} /> : null}</IndexTable.Cell>
    </IndexTable.Row>
  ));

  return (
    <Page
      title="Products"
      subtitle={`${data.total.toLocaleString()} product${data.total === 1 ? "" : "s"}`}
      primaryAction={{ content: "Full resync from Shopify", disabled: !data.fullSyncAvailable, helpText: data.fullSyncAvailable ? undefined : "Needs a connection to Shopify (not in the demo)", onAction: () => setConfirm(true) }}
      secondaryActions={data.failedCount ? [{ content: `Retry all ${data.failedCount} failed`, onAction: () => bulk.submit({ intent: "retry_all_failed" }, { method: "post" }), loading: bulk.state !== "idle" }] : []}
    >
      <BlockStack gap="300">
        {!data.fullSyncAvailable ? (
          <Text as="p" variant="bodySm" tone="subdued">Full resync from Shopify is off in the demo: there is no Shopify store to read from. Product changes sync by webhook.</Text>
        ) : null}
        <Card padding="0">
          <Tabs tabs={TABS.map((t) => ({ id: t.id, content: t.content }))} selected={selectedTab} onSelect={(i) => go({ state: TABS[i].id === "all" ? null : TABS[i].id })} />
          <div style={{ padding: "var(--p-space-300)" }}>
            <TextField label="Search products" labelHidden placeholder="Search by title, type or id" value={query} onChange={setQuery} autoComplete="off" clearButton onClearButtonClick={() => setQuery("")} />
          </div>
          <IndexTable
            resourceName={{ singular: "product", plural: "products" }}
            itemCount={data.rows.length}
            selectable={false}
            loading={loading}
            emptyState={
              <EmptyState heading={data.query || data.state !== "all" ? "No products match" : "No products yet"} image="">
                <p>{data.query || data.state !== "all" ? "Try another search or tab." : "Products appear here as soon as your catalog syncs."}</p>
              </EmptyState>
            }
            headings={[{ title: "" }, { title: "Product" }, { title: "Price" }, { title: "State" }, { title: "Reason" }, { title: "" }]}
            pagination={{
              hasPrevious: data.page > 1,
              hasNext: data.page < data.pageCount,
              onPrevious: () => go({ page: String(data.page - 1) }),
              onNext: () => go({ page: String(data.page + 1) }),
              label: `Page ${data.page} of ${data.pageCount}`,
            }}
          >
            {rows}
          </IndexTable>
        </Card>
      </BlockStack>
      <Modal
        open={confirm}
        onClose={() => setConfirm(false)}
        title="Resync the whole catalog?"
        primaryAction={{ content: "Resync", destructive: true, onAction: () => (setConfirm(false), bulk.submit({ intent: "full_resync" }, { method: "post" })) }}
        secondaryActions={[{ content: "Cancel", onAction: () => setConfirm(false) }]}
      >
        <Modal.Section>
          <Text as="p">Every product is read again from Shopify and photos that changed are processed again. Storefront search keeps working meanwhile.</Text>
        </Modal.Section>
      </Modal>
      {toast}
      <InlineStack />
    </Page>
  );
}

export function ErrorBoundary() {
  return <AdminErrorBoundary title="Products" />;
}
