import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData, useSearchParams } from "@remix-run/react";
import { Badge, Banner, BlockStack, Box, Card, EmptyState, IndexTable, InlineStack, Layout, Page, Select, Text } from "@shopify/polaris";
import { adminDeps } from "../admin/admin-deps.server";
import { insightsLoader } from "../admin/insights.server";
import { AdminErrorBoundary, ProductThumb } from "../admin/ui";

export const loader = async ({ request }: LoaderFunctionArgs) => json(await insightsLoader({ request }, await adminDeps()));

export default function Insights() {
  const data = useLoaderData<typeof loader>();
  const [params, setParams] = useSearchParams();
  return (
    <Page title="Catalog insights" subtitle="What the photos say about your catalog">
      <Layout>
        <Layout.Section>
          <Card padding="0">
            <Box padding="400">
              <InlineStack align="space-between" blockAlign="center" gap="300">
                <BlockStack gap="100">
                  <Text as="h2" variant="headingMd">Duplicate or near-duplicate photos</Text>
                  <Text as="p" variant="bodySm" tone="subdued">Products whose photos look almost the same: often duplicates, or variants listed as separate products.</Text>
                </BlockStack>
                <Box minWidth="200px">
                  <Select label="Photo similarity" labelInline options={[{ label: "≥ 90%", value: "0.9" }, { label: "≥ 95%", value: "0.95" }, { label: "≥ 98%", value: "0.98" }]} value={String(data.threshold)} onChange={(v) => { const n = new URLSearchParams(params); n.set("threshold", v); setParams(n, { replace: true }); }} />
                </Box>
              </InlineStack>
            </Box>
            {!data.indexReady ? (
              <Box padding="400"><Banner tone="info">The search index is loading; reload in a moment.</Banner></Box>
            ) : data.duplicates.length ? (
              <IndexTable
                resourceName={{ singular: "pair", plural: "pairs" }}
                itemCount={data.duplicates.length}
                selectable={false}
                headings={[{ title: "Product" }, { title: "Looks like" }, { title: "Photo similarity", alignment: "end" }]}
              >
                {data.duplicates.map((d, i) => (
                  <IndexTable.Row id={`${d.a.id}-${d.b.id}`} key={`${d.a.id}-${d.b.id}`} position={i}>
                    <IndexTable.Cell>
                      <InlineStack gap="200" blockAlign="center" wrap={false}><ProductThumb src={d.a.image} title={d.a.title} /><Text as="span">{d.a.title}</Text></InlineStack>
                    </IndexTable.Cell>
                    <IndexTable.Cell>
                      <InlineStack gap="200" blockAlign="center" wrap={false}><ProductThumb src={d.b.image} title={d.b.title} /><Text as="span">{d.b.title}</Text></InlineStack>
                    </IndexTable.Cell>
                    <IndexTable.Cell>
                      <InlineStack align="end"><Badge tone={d.similarity >= 0.98 ? "critical" : "attention"}>{`${(d.similarity * 100).toFixed(1)}%`}</Badge></InlineStack>
                    </IndexTable.Cell>
                  </IndexTable.Row>
                ))}
              </IndexTable>
            ) : (
              <EmptyState heading="No near-duplicate photos" image="">
                <p>{`None of the ${data.scanned.toLocaleString()} searchable products has a photo this close to another's.`}</p>
              </EmptyState>
            )}
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card padding="0">
            <Box padding="400">
              <BlockStack gap="100">
                <Text as="h2" variant="headingMd">Photos that could not be processed</Text>
                <Text as="p" variant="bodySm" tone="subdued">These products are not in visual search until their photo is fixed. Retry them from Products.</Text>
              </BlockStack>
            </Box>
            {data.failed.length ? (
              <IndexTable resourceName={{ singular: "product", plural: "products" }} itemCount={data.failed.length} selectable={false} headings={[{ title: "Product" }, { title: "Reason" }]}>
                {data.failed.map((p, i) => (
                  <IndexTable.Row id={p.id} key={p.id} position={i}>
                    <IndexTable.Cell>
                      <InlineStack gap="200" blockAlign="center" wrap={false}><ProductThumb src={p.image} title={p.title} /><Text as="span">{p.title}</Text></InlineStack>
                    </IndexTable.Cell>
                    <IndexTable.Cell><div style={{ whiteSpace: "normal", maxWidth: 480 }}><Text as="span" tone="critical" variant="bodySm">{p.reason}</Text></div></IndexTable.Cell>
                  </IndexTable.Row>
                ))}
              </IndexTable>
            ) : (
              <EmptyState heading="Every photo was processed" image=""><p>No product has a failed photo.</p></EmptyState>
            )}
            {data.failedTotal > data.failed.length ? <Box padding="300"><Text as="p" variant="bodySm" tone="subdued">{`Showing ${data.failed.length} of ${data.failedTotal}.`}</Text></Box> : null}
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}

export function ErrorBoundary() {
  return <AdminErrorBoundary title="Catalog insights" />;
}
