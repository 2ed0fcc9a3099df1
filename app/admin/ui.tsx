/** Small shared pieces of the admin pages (Polaris only). */
import { useEffect, useState } from "react";
import { isRouteErrorResponse, useRouteError } from "@remix-run/react";
import { Banner, BlockStack, Box, Card, InlineStack, Layout, Page, SkeletonBodyText, SkeletonDisplayText, Text, Thumbnail, Toast, Tooltip } from "@shopify/polaris";
import { boundary } from "@shopify/shopify-app-remix/server";

export function formatPrice(price: string, currency: string): string {
  const n = Number(price);
  if (!Number.isFinite(n)) return price;
  try {
    return new Intl.NumberFormat("en-US", { style: "currency", currency: currency || "USD" }).format(n);
  } catch {
    return `${n.toFixed(2)} ${currency}`;
  }
}

const NO_IMAGE = `data:image/svg+xml,${encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 20"><rect width="20" height="20" fill="#f1f1f1"/><path d="M5 14l3-4 2 3 2-2 3 3z" fill="#b5b5b5"/></svg>')}`;

export function ProductThumb({ src, title, size = "small" }: { src: string | null; title: string; size?: "small" | "medium" | "large" }) {
  return <Thumbnail source={src ?? NO_IMAGE} alt={title} size={size} />;
}

export const CHANNEL_COLORS = { image: "#2c6ecb", color: "#e0823d", text: "#8a61c9" } as const;
const CHANNEL_LABELS = { image: "Image", color: "Colour", text: "Text" } as const;

/** Why a product matched: each channel's share of the score as a stacked bar, with a legend. */
export function WhyMatched({ why }: { why: { image: number; color: number; text: number } }) {
  const parts = (["image", "color", "text"] as const).filter((c) => why[c] > 0);
  const label = parts.map((c) => `${CHANNEL_LABELS[c]} ${Math.round(why[c] * 100)}%`).join(", ") || "No score";
  return (
    <BlockStack gap="100">
      <Tooltip content={label}>
        <div role="img" aria-label={`Why it matched: ${label}`} style={{ display: "flex", height: 6, borderRadius: 3, overflow: "hidden", background: "var(--p-color-bg-fill-tertiary)" }}>
          {parts.map((c) => (
            <span key={c} style={{ width: `${why[c] * 100}%`, background: CHANNEL_COLORS[c] }} />
          ))}
        </div>
      </Tooltip>
      <Text as="p" variant="bodyXs" tone="subdued">{label}</Text>
    </BlockStack>
  );
}

/** A Polaris Toast driven by a message that changes (e.g. an action's result). */
export function useToast(): [JSX.Element | null, (message: string, error?: boolean) => void] {
  const [toast, setToast] = useState<{ message: string; error: boolean; key: number } | null>(null);
  const el = toast ? <Toast key={toast.key} content={toast.message} error={toast.error} onDismiss={() => setToast(null)} duration={4000} /> : null;
  return [el, (message, error = false) => setToast({ message, error, key: Date.now() })];
}

/** Shows a Toast once per action result (`result` must be the fetcher's data object itself). */
export function useResultToast(result: { ok: boolean; message?: string; error?: string } | undefined, show: (m: string, e?: boolean) => void) {
  useEffect(() => {
    if (!result) return;
    if (result.ok && result.message) show(result.message);
    else if (!result.ok && result.error) show(result.error, true);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [result]);
}

export function PageSkeleton({ title }: { title: string }) {
  return (
    <Page title={title}>
      <Layout>
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <SkeletonDisplayText size="small" />
              <SkeletonBodyText lines={6} />
            </BlockStack>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}

/** Error state of an admin page: Shopify's auth responses pass through, anything else is a Banner. */
export function AdminErrorBoundary({ title }: { title: string }) {
  const error = useRouteError();
  if (isRouteErrorResponse(error) && (error.status === 401 || error.status === 302 || error.status === 410)) return boundary.error(error);
  const message = isRouteErrorResponse(error) ? `${error.status} ${error.statusText}` : error instanceof Error ? error.message : "Unknown error";
  return (
    <Page title={title}>
      <Banner tone="critical" title="This page could not be loaded">
        <BlockStack gap="200">
          <p>Something went wrong while loading this page. Reload to try again; if it keeps happening, contact support with the details below.</p>
          <Box>
            <InlineStack>
              <Text as="span" variant="bodySm" tone="subdued">{message}</Text>
            </InlineStack>
          </Box>
        </BlockStack>
      </Banner>
    </Page>
  );
}
