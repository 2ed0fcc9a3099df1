import { useEffect, useRef, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useFetcher, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { Badge, Banner, BlockStack, Box, Button, ButtonGroup, Card, DropZone, EmptyState, InlineGrid, InlineStack, Layout, Page, ResourceItem, ResourceList, SkeletonThumbnail, Spinner, Text, TextField } from "@shopify/polaris";
import { adminDeps } from "../admin/admin-deps.server";
import { previewAction, previewLoader, type PreviewActionResult, type PreviewResult } from "../admin/preview.server";
import { CropBox, validBox, WHOLE, type Box as CropArea } from "../admin/crop-box";
import { AdminErrorBoundary, formatPrice, ProductThumb, useResultToast, useToast, WhyMatched } from "../admin/ui";

export const loader = async ({ request }: LoaderFunctionArgs) => json(await previewLoader({ request }, await adminDeps()));
export const action = async ({ request }: ActionFunctionArgs) => json(await previewAction({ request }, await adminDeps()));

function ResultCard({ r, sourceId }: { r: PreviewResult; sourceId?: string }) {
  const fetcher = useFetcher<PreviewActionResult>();
  const [toast, show] = useToast();
  useResultToast(fetcher.data as { ok: boolean; message?: string; error?: string } | undefined, show);
  const busy = fetcher.state !== "idle";
  const rule = (intent: "pin" | "exclude" | "clear") => fetcher.submit({ intent, productId: sourceId!, targetId: r.id }, { method: "post" });
  return (
    <div data-testid="result-card" data-product-id={r.id}>
    <Card padding="300">
      <BlockStack gap="200">
        <div style={{ aspectRatio: "1 / 1", background: "var(--p-color-bg-surface-secondary)", borderRadius: 8, overflow: "hidden", display: "flex", alignItems: "center", justifyContent: "center" }}>
          {r.image ? <img src={r.image} alt={r.title} loading="lazy" width={240} height={240} style={{ width: "100%", height: "100%", objectFit: "contain" }} /> : <SkeletonThumbnail size="large" />}
        </div>
        <InlineStack align="space-between" blockAlign="start" wrap={false} gap="100">
          <Text as="h3" variant="bodyMd" fontWeight="semibold" truncate>{r.title}</Text>
          {r.rule === "pin" ? <Badge tone="info">Pinned</Badge> : null}
        </InlineStack>
        <InlineStack align="space-between">
          <Text as="span" variant="bodySm">{formatPrice(r.price, r.currency)}</Text>
          <Text as="span" variant="bodySm" tone="subdued">score {r.score.toFixed(2)}</Text>
        </InlineStack>
        {r.rule === "pin" && r.score === 0 ? <Text as="p" variant="bodyXs" tone="subdued">Pinned by you</Text> : <WhyMatched why={r.why} />}
        {sourceId ? (
          <ButtonGroup fullWidth>
            {r.rule === "pin" ? (
              <Button size="slim" loading={busy} onClick={() => rule("clear")}>Unpin</Button>
            ) : (
              <Button size="slim" loading={busy} onClick={() => rule("pin")}>Pin</Button>
            )}
            <Button size="slim" tone="critical" variant="secondary" loading={busy} onClick={() => rule("exclude")}>Exclude</Button>
          </ButtonGroup>
        ) : null}
      </BlockStack>
      {toast}
    </Card>
    </div>
  );
}

/** What a photo search answered beyond its results (issue 23's contract; absent from older servers). */
interface PhotoExtras {
  box?: Partial<CropArea> & { guessed?: boolean };
  types?: { value: string; count: number }[];
}

function PhotoSearch() {
  const fetcher = useFetcher<PreviewActionResult>();
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [box, setBox] = useState<CropArea>(WHOLE);
  const [touched, setTouched] = useState(false);
  const [words, setWords] = useState("");
  const timer = useRef<ReturnType<typeof setTimeout>>();
  const wordsNow = useRef(words);
  wordsNow.current = words;
  const search = (f: File, b: CropArea | null, q: string) => {
    clearTimeout(timer.current);
    const form = new FormData();
    form.append("image", f);
    if (b) for (const k of ["x", "y", "w", "h"] as const) form.append(`box_${k}`, String(Math.round(b[k] * 10_000) / 10_000));
    if (q.trim()) form.append("q", q.trim().slice(0, 200));
    fetcher.submit(form, { method: "post", encType: "multipart/form-data" });
  };
  useEffect(() => {
    if (!file) return;
    const url = URL.createObjectURL(file);
    setPreview(url);
    setBox(WHOLE);
    setTouched(false);
    search(file, null, words);
    return () => URL.revokeObjectURL(url);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [file]);
  const data = fetcher.data;
  const extras = (data && data.ok && data.intent === "photo" ? data : {}) as PhotoExtras;
  // The server's box (its guess) until the merchant moves it.
  useEffect(() => {
    if (!touched && extras.box) setBox(validBox(extras.box));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data]);
  useEffect(() => () => clearTimeout(timer.current), []);
  const onBox = (b: CropArea, done: boolean | "now") => {
    setBox(b);
    setTouched(true);
    clearTimeout(timer.current);
    if (done && file) timer.current = setTimeout(() => search(file, b, wordsNow.current), done === "now" ? 0 : 700);
  };
  return (
    <Card>
      <BlockStack gap="300">
        <Text as="h2" variant="headingMd">Search by photo</Text>
        <Text as="p" tone="subdued">Upload a photo to see what shoppers get from "Search by photo". Frame the product with the box, and say what differs.</Text>
        <InlineGrid columns={{ xs: 1, md: "1fr 2fr" }} gap="400">
          <BlockStack gap="300">
            {preview ? (
              <div data-testid="photo-crop" style={{ textAlign: "center" }}>
                <CropBox src={preview} alt="Uploaded photo" box={box} onChange={onBox} />
              </div>
            ) : null}
            <DropZone accept="image/jpeg,image/png,image/webp" type="image" allowMultiple={false} onDrop={(_all, accepted) => accepted[0] && setFile(accepted[0])} label="Photo" labelHidden>
              <DropZone.FileUpload actionTitle={preview ? "Upload another photo" : "Upload a photo"} actionHint="JPEG, PNG or WebP" />
            </DropZone>
            {preview ? (
              <form onSubmit={(e) => { e.preventDefault(); if (file) search(file, touched ? box : null, words); }}>
                <BlockStack gap="200">
                  <TextField label="What differs (optional)" placeholder="in blue, leather" value={words} onChange={setWords} maxLength={200} showCharacterCount autoComplete="off" />
                  <InlineStack><Button submit variant="primary" loading={fetcher.state !== "idle"}>Search this area</Button></InlineStack>
                </BlockStack>
              </form>
            ) : null}
          </BlockStack>
          <div data-testid="photo-results">
            {fetcher.state !== "idle" ? (
              <InlineStack gap="200" blockAlign="center"><Spinner size="small" accessibilityLabel="Searching" /><Text as="span">Searching…</Text></InlineStack>
            ) : data && !data.ok ? (
              <Banner tone="critical">{data.error}</Banner>
            ) : data && data.ok && data.intent === "photo" ? (
              data.results.length ? (
                <BlockStack gap="300">
                  {extras.types?.length ? (
                    <InlineStack gap="100" blockAlign="center">
                      <Text as="span" variant="bodySm" tone="subdued">Kinds among the results:</Text>
                      {extras.types.map((t) => <Badge key={t.value}>{`${t.value} (${t.count})`}</Badge>)}
                    </InlineStack>
                  ) : null}
                  <InlineGrid columns={{ xs: 2, sm: 3, lg: 3 }} gap="300">
                    {data.results.map((r) => <ResultCard key={r.id} r={r} />)}
                  </InlineGrid>
                </BlockStack>
              ) : (
                <Text as="p" tone="subdued">No products matched this photo.</Text>
              )
            ) : (
              <Text as="p" tone="subdued">Results appear here.</Text>
            )}
          </div>
        </InlineGrid>
      </BlockStack>
    </Card>
  );
}

export default function Preview() {
  const data = useLoaderData<typeof loader>();
  const [params, setParams] = useSearchParams();
  const navigation = useNavigation();
  const [query, setQuery] = useState(data.query);
  const typing = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => {
    if (query === (params.get("q") ?? "")) return;
    typing.current = setTimeout(() => {
      const next = new URLSearchParams(params);
      query ? next.set("q", query) : next.delete("q");
      setParams(next, { replace: true, preventScrollReset: true });
    }, 300);
    return () => clearTimeout(typing.current);
  }, [query, params, setParams]);
  const choose = (id: string) => {
    // One navigation that carries both the typed query and the product: a pending debounce
    // would otherwise navigate from the old URL and drop the product.
    clearTimeout(typing.current);
    const next = new URLSearchParams(params);
    next.set("product", id);
    query ? next.set("q", query) : next.delete("q");
    setParams(next, { preventScrollReset: true });
  };
  const loading = navigation.state === "loading" && navigation.location?.pathname === "/app/preview";
  const excludeFetcher = useFetcher<PreviewActionResult>();

  return (
    <Page title="Preview" subtitle="See what shoppers see, and why">
      <Layout>
        <Layout.Section variant="oneThird">
          <Card padding="0">
            <Box padding="300">
              <TextField label="Pick a product" placeholder="Search products" value={query} onChange={setQuery} autoComplete="off" clearButton onClearButtonClick={() => setQuery("")} />
            </Box>
            <ResourceList
              resourceName={{ singular: "product", plural: "products" }}
              items={data.choices}
              loading={loading}
              emptyState={<Box padding="400"><Text as="p" tone="subdued">{data.query ? "No searchable product matches." : "No searchable products yet."}</Text></Box>}
              renderItem={(p) => (
                <ResourceItem id={p.id} onClick={() => choose(p.id)} media={<ProductThumb src={p.image} title={p.title} />} accessibilityLabel={`Preview ${p.title}`}>
                  <Text as="span" variant="bodyMd" fontWeight={data.selected?.id === p.id ? "bold" : "regular"}>{p.title}</Text>
                  <div><Text as="span" variant="bodySm" tone="subdued">{formatPrice(p.price, p.currency)}</Text></div>
                </ResourceItem>
              )}
            />
          </Card>
        </Layout.Section>
        <Layout.Section>
          <BlockStack gap="400">
            {data.selected ? (
              <Card>
                <BlockStack gap="300">
                  <InlineStack gap="300" blockAlign="center" wrap={false}>
                    <ProductThumb src={data.selected.image} title={data.selected.title} size="medium" />
                    <BlockStack gap="050">
                      <Text as="h2" variant="headingMd">Similar to {data.selected.title}</Text>
                      <Text as="p" tone="subdued" variant="bodySm">As the "Similar products" block shows them, best match first. The bar shows how much the photo, the colours and the text each contributed.</Text>
                    </BlockStack>
                  </InlineStack>
                  {!data.indexReady ? (
                    <Banner tone="info">The search index is loading; reload in a moment.</Banner>
                  ) : data.notSearchable ? (
                    <Banner tone="warning">This product is not searchable yet (its photo is still being processed or failed).</Banner>
                  ) : data.results.length ? (
                    <div data-testid="similar-results">
                      <InlineGrid columns={{ xs: 2, sm: 3, lg: 4 }} gap="300">
                        {data.results.map((r) => <ResultCard key={r.id} r={r} sourceId={data.selected!.id} />)}
                      </InlineGrid>
                    </div>
                  ) : (
                    <Text as="p" tone="subdued">No similar products found.</Text>
                  )}
                  {data.excluded.length ? (
                    <BlockStack gap="200">
                      <Text as="h3" variant="headingSm">Excluded from this product's recommendations</Text>
                      <InlineStack gap="200">
                        {data.excluded.map((p) => (
                          <InlineStack key={p.id} gap="100" blockAlign="center">
                            <ProductThumb src={p.image} title={p.title} />
                            <Text as="span" variant="bodySm">{p.title}</Text>
                            <Button size="micro" variant="plain" onClick={() => excludeFetcher.submit({ intent: "clear", productId: data.selected!.id, targetId: p.id }, { method: "post" })}>Undo</Button>
                          </InlineStack>
                        ))}
                      </InlineStack>
                    </BlockStack>
                  ) : null}
                </BlockStack>
              </Card>
            ) : (
              <Card>
                <EmptyState heading="Pick a product to preview" image="">
                  <p>Choose any product on the left to see its similar products exactly as shoppers will, and pin or exclude products.</p>
                </EmptyState>
              </Card>
            )}
            <PhotoSearch />
          </BlockStack>
        </Layout.Section>
      </Layout>
    </Page>
  );
}

export function ErrorBoundary() {
  return <AdminErrorBoundary title="Preview" />;
}
