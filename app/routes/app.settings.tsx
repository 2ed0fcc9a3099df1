import { useEffect, useMemo, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useFetcher, useLoaderData, useRevalidator } from "@remix-run/react";
import { Banner, BlockStack, Card, Checkbox, FormLayout, InlineGrid, InlineStack, Layout, Page, RangeSlider, Select, Spinner, Text, TextField } from "@shopify/polaris";
import { adminDeps } from "../admin/admin-deps.server";
import { settingsAction, settingsLoader, type SettingsActionResult } from "../admin/settings.server";
import { AdminErrorBoundary, CHANNEL_COLORS, ProductThumb, useToast } from "../admin/ui";
import { previewRanking } from "../admin/weights-preview";
import type { ShopSettings } from "../shops/shop-settings";

export const loader = async ({ request }: LoaderFunctionArgs) => json(await settingsLoader({ request }, await adminDeps()));
export const action = async ({ request }: ActionFunctionArgs) => json(await settingsAction({ request }, await adminDeps()));

const PRICE_BANDS = [
  { label: "Any price", value: "0" },
  { label: "Within ±25% of the product's price", value: "0.25" },
  { label: "Within ±50%", value: "0.5" },
  { label: "Within ±100%", value: "1" },
  { label: "Within ±200%", value: "2" },
];

const list = (s: string) => s.split(",").map((x) => x.trim()).filter(Boolean);

export default function Settings() {
  const { settings: saved, productTypes, preview, previewPending } = useLoaderData<typeof loader>();
  const revalidator = useRevalidator();
  // The shop's index is still opening (after a restart, on a busy box): ask again until it is.
  useEffect(() => {
    if (!previewPending) return;
    const t = setTimeout(() => revalidator.state === "idle" && revalidator.revalidate(), 1_500);
    return () => clearTimeout(t);
  }, [previewPending, revalidator]);
  const fetcher = useFetcher<SettingsActionResult>();
  const [toast, show] = useToast();
  const [s, setS] = useState<ShopSettings>(saved);
  const [types, setTypes] = useState(saved.excludedProductTypes.join(", "));
  const [tags, setTags] = useState(saved.excludedTags.join(", "));
  const errors = fetcher.data && !fetcher.data.ok ? fetcher.data.errors : {};

  useEffect(() => {
    if (!fetcher.data) return;
    if (fetcher.data.ok) {
      setS(fetcher.data.settings);
      show("Settings saved — live on your store's next request");
    } else show("Check the highlighted fields", true);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [fetcher.data]);

  const current: ShopSettings = { ...s, excludedProductTypes: list(types), excludedTags: list(tags) };
  const dirty = JSON.stringify(current) !== JSON.stringify(saved) && !(fetcher.data?.ok && JSON.stringify(current) === JSON.stringify(fetcher.data.settings));
  const save = () => fetcher.submit(current as never, { method: "post", encType: "application/json" });
  const setWeight = (c: "image" | "color" | "text", v: number) => setS((x) => ({ ...x, weights: { ...x.weights, [c]: Math.round(v * 100) / 100 } }));

  const currentKey = JSON.stringify(current);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const ranked = useMemo(() => (preview ? previewRanking(preview.candidates, current, preview.samplePrice ?? undefined) : []), [preview, currentKey]);
  const bandOptions = PRICE_BANDS.some((b) => Number(b.value) === s.priceBand) ? PRICE_BANDS : [...PRICE_BANDS, { label: `Within ±${Math.round(s.priceBand * 100)}%`, value: String(s.priceBand) }];

  return (
    <Page
      title="Settings"
      primaryAction={{ content: "Save", onAction: save, loading: fetcher.state !== "idle", disabled: !dirty }}
    >
      <Layout>
        {errors.form ? (
          <Layout.Section><Banner tone="critical">{errors.form}</Banner></Layout.Section>
        ) : null}
        <Layout.AnnotatedSection title="Storefront blocks" description="Turn blocks off here without editing your theme.">
          <Card>
            <BlockStack gap="200">
              <Checkbox label="Similar products on product pages" checked={s.blocks.similar} onChange={(v) => setS((x) => ({ ...x, blocks: { ...x.blocks, similar: v } }))} error={errors["blocks.similar"]} />
              <Checkbox label="Search by photo block" checked={s.blocks.photoSearch} onChange={(v) => setS((x) => ({ ...x, blocks: { ...x.blocks, photoSearch: v } }))} error={errors["blocks.photoSearch"]} />
              <Checkbox label="Camera launcher on every page" checked={s.blocks.launcher} onChange={(v) => setS((x) => ({ ...x, blocks: { ...x.blocks, launcher: v } }))} error={errors["blocks.launcher"]} />
            </BlockStack>
          </Card>
        </Layout.AnnotatedSection>

        <Layout.AnnotatedSection title="Results" description="How many similar products to show, and which to leave out.">
          <Card>
            <FormLayout>
              <RangeSlider label="Number of results" min={1} max={24} value={s.resultsCount} output suffix={<Text as="span" variant="bodyMd" fontWeight="semibold">{s.resultsCount}</Text>} onChange={(v) => setS((x) => ({ ...x, resultsCount: Number(v) }))} error={errors.resultsCount} />
              <Select label="Price of similar products" options={bandOptions} value={String(s.priceBand)} onChange={(v) => setS((x) => ({ ...x, priceBand: Number(v) }))} error={errors.priceBand} />
              <Checkbox label="Hide products that are out of stock" checked={s.hideOutOfStock} onChange={(v) => setS((x) => ({ ...x, hideOutOfStock: v }))} error={errors.hideOutOfStock} />
              <TextField label="Never recommend these product types" value={types} onChange={setTypes} autoComplete="off" helpText={productTypes.length ? `Separate with commas. Your types: ${productTypes.slice(0, 12).join(", ")}${productTypes.length > 12 ? "…" : ""}` : "Separate with commas."} error={errors.excludedProductTypes} />
              <TextField label="Never recommend products with these tags" value={tags} onChange={setTags} autoComplete="off" helpText="Separate with commas." error={errors.excludedTags} />
            </FormLayout>
          </Card>
        </Layout.AnnotatedSection>

        <Layout.AnnotatedSection title="What makes products similar" description="Balance the photo, its colours and the product text. The preview updates as you move the sliders.">
          <Card>
            <BlockStack gap="400">
              {errors.weights ? <Banner tone="critical">{errors.weights}</Banner> : null}
              <InlineGrid columns={{ xs: 1, sm: 3 }} gap="400">
                {(["image", "color", "text"] as const).map((c) => (
                  <RangeSlider
                    key={c}
                    label={<InlineStack gap="100" blockAlign="center"><span style={{ width: 10, height: 10, borderRadius: 5, background: CHANNEL_COLORS[c], display: "inline-block" }} />{c === "image" ? "Photo shape" : c === "color" ? "Colours" : "Text"}</InlineStack>}
                    min={0}
                    max={1}
                    step={0.05}
                    value={s.weights[c]}
                    output
                    suffix={<Text as="span" variant="bodySm">{`${Math.round((s.weights[c] / Math.max(0.0001, s.weights.image + s.weights.color + s.weights.text)) * 100)}%`}</Text>}
                    onChange={(v) => setWeight(c, Number(v))}
                    error={errors[`weights.${c}`]}
                  />
                ))}
              </InlineGrid>
              {preview ? (
                <BlockStack gap="200">
                  <InlineStack gap="200" blockAlign="center">
                    <ProductThumb src={preview.sample.image} title={preview.sample.title} />
                    <Text as="p" variant="bodySm" tone="subdued">Similar to <strong>{preview.sample.title}</strong> with these settings ({ranked.length} of {s.resultsCount}):</Text>
                  </InlineStack>
                  <div data-testid="weights-preview">
                    <InlineGrid columns={{ xs: 3, md: 6 }} gap="200">
                      {ranked.map((r) => (
                        <div key={r.id} data-testid="weights-preview-item" data-product-id={r.id}>
                        <BlockStack gap="100">
                          <div style={{ aspectRatio: "1 / 1", background: "var(--p-color-bg-surface-secondary)", borderRadius: 8, overflow: "hidden" }}>
                            {r.image ? <img src={r.image} alt={r.title} width={120} height={120} style={{ width: "100%", height: "100%", objectFit: "contain" }} /> : null}
                          </div>
                          <Text as="p" variant="bodyXs" truncate>{r.title}</Text>
                        </BlockStack>
                        </div>
                      ))}
                    </InlineGrid>
                  </div>
                </BlockStack>
              ) : previewPending ? (
                <InlineStack gap="200" blockAlign="center">
                  <Spinner size="small" accessibilityLabel="Preparing the preview" />
                  <Text as="p" tone="subdued" variant="bodySm">Preparing the preview…</Text>
                </InlineStack>
              ) : (
                <Text as="p" tone="subdued" variant="bodySm">A live preview appears once products are searchable.</Text>
              )}
            </BlockStack>
          </Card>
        </Layout.AnnotatedSection>
      </Layout>
      {toast}
    </Page>
  );
}

export function ErrorBoundary() {
  return <AdminErrorBoundary title="Settings" />;
}
