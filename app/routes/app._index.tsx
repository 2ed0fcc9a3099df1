import { useEffect } from "react";
import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link as RemixLink, useLoaderData, useRevalidator } from "@remix-run/react";
import { Badge, Banner, BlockStack, Box, Button, Card, InlineGrid, InlineStack, Layout, List, Page, ProgressBar, Text } from "@shopify/polaris";
import { adminDeps } from "../admin/admin-deps.server";
import { homeLoader } from "../admin/home.server";
import { AdminErrorBoundary } from "../admin/ui";

export const loader = async ({ request }: LoaderFunctionArgs) => json(await homeLoader({ request }, await adminDeps()));

const PHASES: Record<string, string> = { queued: "Queued", running: "Exporting from Shopify", reading: "Reading products", embedding: "Processing photos", done: "Finished", failed: "Stopped" };

function Stat({ label, value, tone }: { label: string; value: number; tone?: "critical" | "success" }) {
  return (
    <Box padding="300" background="bg-surface-secondary" borderRadius="200">
      <BlockStack gap="100">
        <Text as="p" variant="bodySm" tone="subdued">{label}</Text>
        <Text as="p" variant="headingLg" tone={tone}>{value.toLocaleString()}</Text>
      </BlockStack>
    </Box>
  );
}

export default function Home() {
  const { status, index, themeEditorUrl, blocks } = useLoaderData<typeof loader>();
  const revalidator = useRevalidator();
  const { counts, sync } = status;
  const running = !!sync && ["queued", "running", "reading", "embedding"].includes(sync.phase);
  const busy = running || counts.pending > 0 || !index.ready;
  // Progress of the running sync when there is one, else of the catalog as a whole.
  const total = running && sync!.total > 0 ? sync!.total : counts.products;
  const done = running && sync!.total > 0 ? sync!.done + sync!.failed : counts.embedded + counts.failed;
  const progress = total ? Math.min(100, Math.round((done / total) * 100)) : 0;

  // While work is under way, refresh every 2 s (and every 10 s while waiting for a first sync);
  // nothing on this page waits for a job.
  const interval = busy ? 2_000 : counts.products === 0 ? 10_000 : 0;
  useEffect(() => {
    if (!interval) return;
    const t = setInterval(() => revalidator.state === "idle" && revalidator.revalidate(), interval);
    return () => clearInterval(t);
  }, [interval, revalidator]);

  const healthBadge =
    index.status === "healthy" ? <Badge tone="success">Healthy</Badge>
    : index.status === "catching_up" ? <Badge tone="attention">Catching up</Badge>
    : index.status === "loading" ? <Badge tone="info">Loading</Badge>
    : <Badge>Empty</Badge>;

  return (
    <Page title="Lookalike">
      <Layout>
        <Layout.Section>
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">Visual search for your store</Text>
              <Text as="p">
                Lookalike reads your product photos and learns what each product looks like, so every product page can show visually similar products. Shoppers can also search your store with a photo from their camera.
              </Text>
            </BlockStack>
          </Card>
        </Layout.Section>

        <Layout.Section>
          <Card>
            <BlockStack gap="400">
              <InlineStack align="space-between" blockAlign="center">
                <Text as="h2" variant="headingMd">Catalog sync</Text>
                {sync ? (
                  <Badge tone={sync.phase === "failed" ? "critical" : sync.phase === "done" ? "success" : "attention"}>
                    {PHASES[sync.phase] ?? sync.phase}
                  </Badge>
                ) : null}
              </InlineStack>
              <BlockStack gap="200">
                <InlineStack align="space-between">
                  <Text as="p" variant="bodyMd">
                    {running ? `${PHASES[sync!.phase] ?? sync!.phase}: ${done.toLocaleString()} of ${total.toLocaleString()}` : counts.products ? (counts.pending ? `Processing photos: ${done.toLocaleString()} of ${total.toLocaleString()}` : "All products processed") : "No products synced yet — your catalog syncs by itself after install, and this page follows it"}
                  </Text>
                  <Text as="p" variant="bodyMd" tone="subdued">{progress}%</Text>
                </InlineStack>
                <div data-testid="sync-progress" data-progress={progress}>
                  <ProgressBar progress={progress} tone={(running ? sync!.failed : counts.failed) ? "critical" : "primary"} size="small" animated={busy} />
                </div>
                {running && sync!.failed ? <Text as="p" variant="bodySm" tone="critical">{sync!.failed} failed so far</Text> : null}
                {sync?.message && (running || sync.phase === "failed") ? (
                  <Text as="p" variant="bodySm" tone={sync.phase === "failed" ? "critical" : "subdued"}>
                    <span data-testid="sync-message">{sync.phase === "failed" ? `The last sync stopped: ${sync.message}` : sync.message}</span>
                  </Text>
                ) : null}
              </BlockStack>
              <InlineGrid columns={{ xs: 2, md: 4 }} gap="300">
                <Stat label="Products" value={counts.products} />
                <Stat label="Searchable" value={counts.embedded} tone="success" />
                <Stat label="Waiting" value={counts.pending} />
                <Stat label="Failed" value={counts.failed} tone={counts.failed ? "critical" : undefined} />
              </InlineGrid>
            </BlockStack>
          </Card>
        </Layout.Section>

        {status.failures.length ? (
          <Layout.Section>
            <Banner tone="warning" title={`${counts.failed} product${counts.failed === 1 ? "" : "s"} could not be processed`} action={{ content: "Review failed products", url: "/app/products?state=failed" }}>
              <List>
                {status.failures.slice(0, 5).map((f) => (
                  <List.Item key={f.id}><strong>{f.title}</strong>: {f.reason}</List.Item>
                ))}
              </List>
            </Banner>
          </Layout.Section>
        ) : null}

        <Layout.Section variant="oneHalf">
          <Card>
            <BlockStack gap="300">
              <InlineStack align="space-between" blockAlign="center">
                <Text as="h2" variant="headingMd">Search index</Text>
                {healthBadge}
              </InlineStack>
              <Text as="p" tone="subdued">
                {!index.ready ? "The index is loading; this page updates by itself." : index.embedded === 0 ? "Nothing to search yet: products appear here as their photos are processed." : `${index.searchable.toLocaleString()} of ${index.embedded.toLocaleString()} processed products are live in storefront search.`}
              </Text>
              <Text as="h3" variant="headingSm">Model in use</Text>
              {status.models.length ? (
                status.models.map((m) => (
                  <Text as="p" key={m.modelId}>{m.modelId} <Text as="span" tone="subdued">({m.products.toLocaleString()} products)</Text></Text>
                ))
              ) : (
                <Text as="p" tone="subdued">No products processed yet</Text>
              )}
            </BlockStack>
          </Card>
        </Layout.Section>

        <Layout.Section variant="oneHalf">
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">Next step: show it on your store</Text>
              <Text as="p">
                Add the <strong>Similar products</strong> block to your product page in the theme editor, then turn on the <strong>Search by photo</strong> launcher.
              </Text>
              <InlineStack gap="200">
                <Button variant="primary" url={themeEditorUrl} target="_blank">Open theme editor</Button>
                <Button url="/app/preview">Preview results</Button>
              </InlineStack>
              {!blocks.similar || !blocks.photoSearch ? (
                <Text as="p" tone="subdued" variant="bodySm">Some blocks are turned off in <RemixLink to="/app/settings">Settings</RemixLink>.</Text>
              ) : null}
            </BlockStack>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}

export function ErrorBoundary() {
  return <AdminErrorBoundary title="Lookalike" />;
}
