import type { HeadersFunction, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, Outlet, useLocation, useLoaderData, useNavigation, useRouteError } from "@remix-run/react";
import { boundary } from "@shopify/shopify-app-remix/server";
import { AppProvider } from "@shopify/shopify-app-remix/react";
import { NavMenu } from "@shopify/app-bridge-react";
import { Box, Button, Frame, InlineStack, Loading, Text } from "@shopify/polaris";
import polarisStyles from "@shopify/polaris/build/esm/styles.css?url";
import { config } from "../config.server";
import { authenticate } from "../shopify.server";

export const links = () => [{ rel: "stylesheet", href: polarisStyles }];

export const loader = async ({ request }: LoaderFunctionArgs) => {
  await authenticate.admin(request);
  const cfg = config();
  return json({ apiKey: cfg.apiKey, demo: cfg.demo });
};

const PAGES = [
  { to: "/app", label: "Home" },
  { to: "/app/products", label: "Products" },
  { to: "/app/preview", label: "Preview" },
  { to: "/app/settings", label: "Settings" },
  { to: "/app/analytics", label: "Analytics" },
  { to: "/app/insights", label: "Catalog insights" },
];

/** Demo only: outside Shopify's admin nobody draws the NavMenu, so the demo draws its own. */
function DemoNav() {
  const { pathname } = useLocation();
  return (
    <Box background="bg-surface" borderBlockEndWidth="025" borderColor="border" paddingInline="400" paddingBlock="200">
      <style>{"ui-nav-menu{display:none}"}</style>
      <InlineStack gap="300" blockAlign="center" wrap>
        <Text as="span" variant="headingSm">Lookalike</Text>
        <Text as="span" tone="subdued" variant="bodySm">demo admin</Text>
        <InlineStack gap="100" wrap>
          {PAGES.map((p) => (
            <Button key={p.to} url={p.to} variant="tertiary" pressed={p.to === "/app" ? pathname === "/app" || pathname === "/app/" : pathname.startsWith(p.to)}>{p.label}</Button>
          ))}
        </InlineStack>
      </InlineStack>
    </Box>
  );
}

export default function App() {
  const { apiKey, demo } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  // The demo runs outside Shopify's admin: a local stand-in replaces the App Bridge CDN script.
  const bridge = demo ? { __APP_BRIDGE_URL: "/app/demo-bridge.js" } : {};
  return (
    <AppProvider isEmbeddedApp apiKey={apiKey} {...bridge}>
      <NavMenu>
        {PAGES.map((p) => (
          <Link key={p.to} to={p.to} rel={p.to === "/app" ? "home" : undefined}>{p.label}</Link>
        ))}
      </NavMenu>
      <Frame>
        {demo ? <DemoNav /> : null}
        {navigation.state === "loading" ? <Loading /> : null}
        <Outlet />
      </Frame>
    </AppProvider>
  );
}

// Shopify needs Remix to catch thrown responses so that their headers reach the browser.
export function ErrorBoundary() {
  return boundary.error(useRouteError());
}

export const headers: HeadersFunction = (headersArgs) => boundary.headers(headersArgs);
