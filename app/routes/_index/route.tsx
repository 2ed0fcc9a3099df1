import type { LoaderFunctionArgs } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { config } from "../../config.server";
import { login } from "../../shopify.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const url = new URL(request.url);
  if (url.searchParams.get("shop")) throw redirect(`/app?${url.searchParams.toString()}`);
  return json({ showForm: Boolean(login), demo: config().demo, demoShop: config().demoShop });
};

export default function Landing() {
  const { showForm, demo } = useLoaderData<typeof loader>();
  return (
    <main style={{ fontFamily: "system-ui, sans-serif", maxWidth: 640, margin: "10vh auto", padding: 24, lineHeight: 1.5 }}>
      <h1>Lookalike</h1>
      <p>Visual search and visually similar products for your Shopify store: shoppers see a &ldquo;Similar products&rdquo; block on product pages and can search your catalog with a photo.</p>
      {demo ? (
        <p>
          Demo mode: open the <a href="/demo">demo storefront</a> or the <a href="/demo/admin">demo admin</a>.
        </p>
      ) : null}
      {showForm ? (
        <Form method="post" action="/auth/login">
          <label>
            Shop domain <input type="text" name="shop" placeholder="my-shop.myshopify.com" />
          </label>{" "}
          <button type="submit">Log in</button>
        </Form>
      ) : null}
    </main>
  );
}
