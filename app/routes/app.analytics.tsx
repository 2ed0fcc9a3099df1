import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData, useSearchParams } from "@remix-run/react";
import { BlockStack, Box, Card, DataTable, EmptyState, InlineGrid, InlineStack, Layout, Page, Select, Text } from "@shopify/polaris";
import { adminDeps } from "../admin/admin-deps.server";
import { analyticsLoader, type AnalyticsData } from "../admin/analytics.server";
import { DailyChart } from "../admin/daily-chart";
import { AdminErrorBoundary, ProductThumb } from "../admin/ui";

export const loader = async ({ request }: LoaderFunctionArgs) => json(await analyticsLoader({ request }, await adminDeps()));

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function Metric({ label, value }: { label: string; value: string }) {
  return (
    <Card>
      <BlockStack gap="100">
        <Text as="p" variant="bodySm" tone="subdued">{label}</Text>
        <Text as="p" variant="headingXl">{value}</Text>
      </BlockStack>
    </Card>
  );
}

function TopTable({ title, rows, empty }: { title: string; rows: AnalyticsData["topClicked"]; empty: string }) {
  return (
    <Card>
      <BlockStack gap="200">
        <Text as="h2" variant="headingMd">{title}</Text>
        {rows.length ? (
          <DataTable
            columnContentTypes={["text", "numeric", "numeric", "numeric"]}
            headings={["Product", "Impressions", "Clicks", "CTR"]}
            rows={rows.map((r) => [
              <InlineStack key={r.productId} gap="200" blockAlign="center" wrap={false}>
                <ProductThumb src={r.product?.image ?? null} title={r.product?.title ?? r.productId} />
                <Text as="span" truncate>{r.product?.title ?? `Deleted product ${r.productId}`}</Text>
              </InlineStack>,
              r.impressions.toLocaleString(),
              r.clicks.toLocaleString(),
              pct(r.ctr),
            ])}
          />
        ) : (
          <Text as="p" tone="subdued">{empty}</Text>
        )}
      </BlockStack>
    </Card>
  );
}

export default function Analytics() {
  const data = useLoaderData<typeof loader>();
  const [params, setParams] = useSearchParams();
  const { totals } = data;
  const none = totals.impressions + totals.clicks + totals.photoSearches === 0;
  return (
    <Page title="Analytics" subtitle="Storefront activity of the Lookalike blocks (UTC days)">
      <Layout>
        <Layout.Section>
          <InlineStack align="end">
            <Box minWidth="180px">
              <Select label="Period" labelInline options={[{ label: "Last 7 days", value: "7" }, { label: "Last 30 days", value: "30" }, { label: "Last 90 days", value: "90" }]} value={String(data.days)} onChange={(v) => { const n = new URLSearchParams(params); n.set("days", v); setParams(n, { replace: true }); }} />
            </Box>
          </InlineStack>
        </Layout.Section>
        <Layout.Section>
          <InlineGrid columns={{ xs: 2, md: 4 }} gap="300">
            <Metric label="Impressions" value={totals.impressions.toLocaleString()} />
            <Metric label="Clicks" value={totals.clicks.toLocaleString()} />
            <Metric label="Click-through rate" value={pct(totals.ctr)} />
            <Metric label="Photo searches" value={totals.photoSearches.toLocaleString()} />
          </InlineGrid>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <BlockStack gap="200">
              <InlineStack align="space-between">
                <Text as="h2" variant="headingMd">Per day</Text>
                <InlineStack gap="300">
                  <InlineStack gap="100" blockAlign="center"><span style={{ width: 12, height: 12, background: "#a4c8f0", borderRadius: 2, display: "inline-block" }} /><Text as="span" variant="bodySm">Impressions</Text></InlineStack>
                  <InlineStack gap="100" blockAlign="center"><span style={{ width: 12, height: 3, background: "#2c6ecb", display: "inline-block" }} /><Text as="span" variant="bodySm">Clicks</Text></InlineStack>
                </InlineStack>
              </InlineStack>
              <DailyChart series={data.series} />
            </BlockStack>
          </Card>
        </Layout.Section>
        {none ? (
          <Layout.Section>
            <Card>
              <EmptyState heading="No storefront activity yet" image="">
                <p>Numbers appear here once shoppers see the Similar products block or search by photo. Add the blocks to your theme from the Home page.</p>
              </EmptyState>
            </Card>
          </Layout.Section>
        ) : (
          <>
            <Layout.Section variant="oneHalf">
              <TopTable title="Top recommended" rows={data.topRecommended} empty="No impressions in this period." />
            </Layout.Section>
            <Layout.Section variant="oneHalf">
              <TopTable title="Top clicked" rows={data.topClicked} empty="No clicks in this period." />
            </Layout.Section>
          </>
        )}
      </Layout>
    </Page>
  );
}

export function ErrorBoundary() {
  return <AdminErrorBoundary title="Analytics" />;
}
