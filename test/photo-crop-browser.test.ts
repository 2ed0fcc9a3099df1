/**
 * Search by photo, point at it (issue 23, the widget): the demo storefront's photo dialog in real
 * Chromium at 390×844 (a phone, touch) and 1280×800. A shopper's photo shows with its search-area
 * box; the keyboard and the pointer move it; a re-search posts the same photo with the box; the
 * kinds among the results are chips that filter; words go as `q`; a pasted image is searched;
 * axe-core finds no serious or critical violation in any state of the dialog. Plus the phone
 * measurement behind decision 0013: sending the box vs cropping in the browser (CPU 4× slower).
 *
 * The answers are the server's own (`box`: the searched region, its guess when none was sent;
 * `types`: the kinds among the results); the assertions are about what the widget sends and
 * renders from them, not about the server's ranking.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { ARTIFACTS, DESKTOP_UA, hasChromium, launchChromium, LUMA_CATALOG, LUMA_DIR } from "./support/browser";
import { seriousViolations } from "./support/axe";
import { DemoApp } from "./support/demo-app";

const HAS_CHROMIUM = hasChromium("photo crop browser test");
const QUERIES = path.join(LUMA_DIR, "queries");
const HAS_QUERIES = existsSync(LUMA_CATALOG) && existsSync(QUERIES);

const HEIC = fileURLToPath(new URL("./support/fixtures/red-96x64.heic", import.meta.url));
const VIEWPORTS = {
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, userAgent: "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36" },
  desktop: { viewport: { width: 1280, height: 800 }, userAgent: DESKTOP_UA },
} as const;

describe.skipIf(!HAS_CHROMIUM)("search by photo: the box, the kinds, the words (Chromium)", () => {
  const shop = "photo-crop-browser.myshopify.com";
  let demo: DemoApp;
  let browser: Browser;
  let handle: string;
  /** product handle → product type, to complete answers without `types` and to check a kind filter. */
  const typeOf = new Map<string, string>();
  const pageErrors: string[] = [];
  let queries: string[] = [];

  const cards = (page: Page) => page.locator(".lookalike-results .lookalike__card:not(.lookalike__card--skeleton)");
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `photo-crop-${name}.png`) });
  const handleOf = (href: string) => decodeURIComponent(href.split("/products/").pop() ?? "").replace(/[?#].*$/, "");

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    demo = await DemoApp.create({ shop, tmpPrefix: "lookalike-crop-", installShop: true });
    await Promise.all([demo.startWeb(), demo.startWorker()]);
    const imported = await demo.importCatalog(await demo.catalogFile(), { wait: true });
    expect(imported.code, imported.stderr).toBe(0);
    const rows = await demo.client.product.findMany({ where: { shopDomain: shop }, select: { handle: true, productType: true }, orderBy: { title: "asc" } });
    for (const r of rows) typeOf.set(r.handle, r.productType);
    handle = rows[0].handle;
    if (HAS_QUERIES) queries = readdirSync(QUERIES).filter((f) => /\.jpe?g$/i.test(f)).sort().map((f) => path.join(QUERIES, f));
    browser = await launchChromium();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });

  interface Answer { products: unknown[]; box?: { x: number; y: number; w: number; h: number; guessed: boolean }; types?: { value: string; count: number }[] }
  interface Watch { page: Page; sent: URL[]; answers: Answer[]; failNext: boolean }

  /** The product page, its photo searches and the server's answers recorded (a search can be made to fail, for the error state). */
  async function openPage(kind: keyof typeof VIEWPORTS): Promise<Watch> {
    const ctx = await browser.newContext({ ...VIEWPORTS[kind] });
    const page = await ctx.newPage();
    page.on("pageerror", (e) => pageErrors.push(`${kind}: ${String(e)}`));
    const w: Watch = { page, sent: [], answers: [], failNext: false };
    await page.route("**/visual-search*", async (route) => {
      w.sent.push(new URL(route.request().url()));
      if (w.failNext) {
        w.failNext = false;
        return route.fulfill({ status: 500, contentType: "application/json", body: JSON.stringify({ error: "test" }) });
      }
      const res = await route.fetch();
      if (res.ok()) w.answers.push((await res.json()) as Answer);
      return route.fulfill({ response: res });
    });
    await page.goto(`${demo.baseUrl}/demo/products/${handle}`, { waitUntil: "networkidle" });
    return w;
  }

  async function noSerious(page: Page, state: string) {
    expect(await seriousViolations(page), `axe, ${state}`).toEqual([]);
  }

  /** Waits for the next photo search the widget sends, and for its results to be rendered. */
  async function nextSearch(w: Watch, act: () => Promise<unknown>): Promise<URL> {
    const before = w.sent.length;
    await cards(w.page).first().evaluate((n) => n.setAttribute("data-old", "1")).catch(() => null);
    const done = w.page.waitForResponse((r) => r.url().includes("/visual-search"), { timeout: 20_000 });
    await act();
    await done;
    await expect.poll(() => w.sent.length, { timeout: 20_000 }).toBeGreaterThan(before);
    await expect.poll(async () => (await cards(w.page).count()) > 0 && (await w.page.locator(".lookalike-results [data-old]").count()) === 0, { timeout: 20_000 }).toBe(true);
    return w.sent[w.sent.length - 1];
  }

  const valueText = (page: Page) => page.locator(".lookalike-crop").getAttribute("aria-valuetext");

  for (const kind of ["phone", "desktop"] as const) {
    it.skipIf(!HAS_QUERIES)(`${kind}: photo, box (keyboard and pointer), kinds, words, paste, error — and axe in every state`, async () => {
      const w = await openPage(kind);
      const { page } = w;
      await noSerious(page, "closed");

      await page.locator("[data-lookalike-photo-open]").first().click();
      await expect.poll(() => page.locator(".lookalike-modal__panel").isVisible()).toBe(true);
      await noSerious(page, "open, empty");
      await shot(page, `${kind}-open`);

      // A photo: the box appears (the server's guess, or the whole photo), results render.
      const first = await nextSearch(w, () => page.locator('.lookalike-modal input[type="file"]').first().setInputFiles(queries[0]));
      expect(first.searchParams.has("box_x")).toBe(false); // the first search lets the server guess
      await expect.poll(() => page.locator(".lookalike-crop").isVisible(), { timeout: 10_000 }).toBe(true);
      const crop = page.locator(".lookalike-crop");
      expect(await crop.getAttribute("role")).toBe("slider");
      expect(await crop.getAttribute("aria-label")).toBeTruthy();
      expect(await valueText(page)).toMatch(/\d+%.*\d+%.*\d+%.*\d+%/);
      await noSerious(page, "photo with box");
      // The box starts where the server searched (the answer's `box`: its guess, no box having been sent).
      const firstAnswer = w.answers[0];
      expect(w.sent[0].searchParams.has("box_x")).toBe(false);
      expect(firstAnswer?.box, "the server names the box it searched").toBeDefined();
      expect(firstAnswer?.types?.length, "the server names the kinds among its results").toBeGreaterThan(0);
      const shown = ((await valueText(page)) ?? "").match(/\d+/g)!.map(Number);
      const b = firstAnswer!.box!;
      [b.x, b.y, b.w, b.h].forEach((v, i) => expect(Math.abs(shown[i] - v * 100), `box value ${i}`).toBeLessThanOrEqual(1));

      // Touch targets: every corner handle at least 24×24 CSS px; nothing wider than the viewport.
      for (const b of await page.locator(".lookalike-crop__handle").evaluateAll((hs) => hs.map((h) => h.getBoundingClientRect().toJSON() as DOMRect))) {
        expect(b.width).toBeGreaterThanOrEqual(24);
        expect(b.height).toBeGreaterThanOrEqual(24);
      }
      const overflow = await page.locator(".lookalike-modal__panel").evaluate((p) => p.scrollWidth - p.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);

      // Keyboard: Shift+arrows shrink it, arrows move it; the aria values follow; a re-search carries the box.
      const start = await valueText(page);
      await crop.focus();
      let boxed = await nextSearch(w, async () => {
        for (let i = 0; i < 10; i++) await page.keyboard.press("Shift+ArrowLeft");
        for (let i = 0; i < 10; i++) await page.keyboard.press("Shift+ArrowUp");
        for (let i = 0; i < 4; i++) await page.keyboard.press("ArrowRight");
        for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowDown");
      });
      await page.waitForTimeout(1_000); // a debounce that fired between two key presses: the last search is the box's
      await page.waitForLoadState("networkidle");
      boxed = w.sent[w.sent.length - 1];
      const moved = await valueText(page);
      expect(moved).not.toBe(start);
      for (const k of ["box_x", "box_y", "box_w", "box_h"]) {
        const v = Number(boxed.searchParams.get(k));
        expect(v, k).toBeGreaterThanOrEqual(0);
        expect(v, k).toBeLessThanOrEqual(1);
      }
      expect(Number(boxed.searchParams.get("box_w"))).toBeLessThan(1);
      expect(Number(boxed.searchParams.get("box_x"))).toBeGreaterThan(0);
      const nums = (t: string | null) => (t ?? "").match(/\d+/g)!.map(Number);
      expect(nums(moved).map((n) => n / 100)).toEqual(["box_x", "box_y", "box_w", "box_h"].map((k) => Math.round(Number(boxed.searchParams.get(k)) * 100) / 100));
      // The live region says the same.
      await expect.poll(() => page.locator(".lookalike-stage [aria-live]").textContent()).toBe(moved);

      // Pointer: drag the bottom-right handle; the box grows and a search follows the release.
      await crop.scrollIntoViewIfNeeded();
      const se = await page.locator(".lookalike-crop__handle--se").boundingBox();
      const dragged = await nextSearch(w, async () => {
        await page.mouse.move(se!.x + se!.width / 2, se!.y + se!.height / 2);
        await page.mouse.down();
        await page.mouse.move(se!.x + se!.width / 2 + 30, se!.y + se!.height / 2 + 30, { steps: 4 });
        await page.mouse.up();
      });
      expect(Number(dragged.searchParams.get("box_w"))).toBeGreaterThan(Number(boxed.searchParams.get("box_w")));
      let lastBox = dragged;
      if (kind === "phone") {
        // Touch: a finger drags the top-left handle inwards (touch events, as a phone sends them).
        const nw = (await page.locator(".lookalike-crop__handle--nw").boundingBox())!;
        const [x, y] = [Math.round(nw.x + nw.width / 2), Math.round(nw.y + nw.height / 2)];
        const cdp = await page.context().newCDPSession(page);
        const touched = await nextSearch(w, async () => {
          await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x, y }] });
          for (let i = 1; i <= 4; i++) await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [{ x: x + 6 * i, y: y + 6 * i }] });
          await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
        });
        expect(Number(touched.searchParams.get("box_w"))).toBeLessThan(Number(dragged.searchParams.get("box_w")));
        expect(Number(touched.searchParams.get("box_x"))).toBeGreaterThan(Number(dragged.searchParams.get("box_x")));
        lastBox = touched;
      }
      await shot(page, `${kind}-box`);

      // Kinds: chips (best first), one tap filters, another clears; aria-pressed follows.
      await expect.poll(() => page.locator(".lookalike-chip").count(), { timeout: 10_000 }).toBeGreaterThan(1);
      await noSerious(page, "results with chips");
      const chip = page.locator(".lookalike-chip").first();
      const kindName = (await chip.textContent())!;
      const typed = await nextSearch(w, () => chip.click());
      expect(typed.searchParams.get("type")).toBe(kindName);
      expect(await page.locator(".lookalike-chip", { hasText: kindName }).first().getAttribute("aria-pressed")).toBe("true");
      const hrefs = await cards(page).locator("a.lookalike__link").evaluateAll((as) => as.map((a) => a.getAttribute("href") ?? ""));
      expect(hrefs.length).toBeGreaterThan(0);
      expect(new Set(hrefs.map((h) => typeOf.get(handleOf(h))))).toEqual(new Set([kindName]));
      expect(typed.searchParams.get("box_w")).toBe(lastBox.searchParams.get("box_w")); // the box stays
      await shot(page, `${kind}-chips`);
      const cleared = await nextSearch(w, () => page.locator(".lookalike-chip", { hasText: kindName }).first().click());
      expect(cleared.searchParams.has("type")).toBe(false);
      expect(await page.locator(".lookalike-chip", { hasText: kindName }).first().getAttribute("aria-pressed")).toBe("false");

      // Words: sent as q, at most 200 characters.
      const words = page.locator(".lookalike-refine__input");
      expect(await words.getAttribute("maxlength")).toBe("200");
      await words.fill("in blue");
      const said = await nextSearch(w, () => words.press("Enter"));
      expect(said.searchParams.get("q")).toBe("in blue");
      await words.fill("x".repeat(250));
      expect((await words.inputValue()).length).toBeLessThanOrEqual(200);
      const long = await nextSearch(w, () => page.locator(".lookalike-refine__go").click());
      expect(long.searchParams.get("q")!.length).toBeLessThanOrEqual(200);
      await words.fill("");

      // Paste an image: a new photo, the box back to the server's guess (no box sent).
      const oldSrc = await page.locator(".lookalike-stage__img").getAttribute("src");
      const b64 = readFileSync(queries[1]).toString("base64");
      const pasted = await nextSearch(w, () => page.evaluate((data) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], "pasted.jpg", { type: "image/jpeg" }));
        document.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
      }, b64));
      expect(pasted.searchParams.has("box_x")).toBe(false);
      expect(await page.locator(".lookalike-stage__img").getAttribute("src")).not.toBe(oldSrc);

      // Drop a file on the panel.
      const dropped = await nextSearch(w, () => page.evaluate((data) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], "dropped.jpg", { type: "image/jpeg" }));
        document.querySelector(".lookalike-modal__panel")!.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, readFileSync(queries[2]).toString("base64")));
      expect(dropped.pathname).toContain("/visual-search");

      // An error: the message, a retry, and still accessible.
      w.failNext = true;
      await page.locator(".lookalike-refine__go").click();
      await expect.poll(() => page.locator(".lookalike-message").isVisible(), { timeout: 10_000 }).toBe(true);
      await noSerious(page, "error");
      await shot(page, `${kind}-error`);

      // An iPhone's HEIC photo: re-encoded where the browser decodes it, else a message that says
      // HEIC and what to do (Debian's Chromium does not decode HEIC) — never the generic "couldn't read".
      const sentBefore = w.sent.length;
      await page.locator('.lookalike-modal input[type="file"]').first().setInputFiles(HEIC);
      await expect.poll(async () => w.sent.length > sentBefore || /HEIC/.test((await page.locator(".lookalike-message").textContent()) ?? ""), { timeout: 10_000 }).toBe(true);
      if (w.sent.length === sentBefore) {
        expect(await page.locator(".lookalike-message").isVisible()).toBe(true);
        expect(await page.locator(".lookalike-message").textContent()).toMatch(/HEIC.*(JPG|PNG)/);
        await noSerious(page, "heic");
        await shot(page, `${kind}-heic`);
      }
      await page.context().close();
      expect(pageErrors).toEqual([]);
    }, 240_000);
  }

  it.skipIf(!HAS_QUERIES)("admin Preview › Search by photo: the box and the words reach previewAction", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, userAgent: DESKTOP_UA });
    const page = await ctx.newPage();
    page.on("pageerror", (e) => pageErrors.push(`admin: ${String(e)}`));
    // Playwright does not capture multipart bodies with a file: the page's fetch records each POST's text fields.
    await page.addInitScript(() => {
      const w = window as unknown as { __posts: Record<string, string>[] };
      w.__posts = [];
      const original = window.fetch;
      window.fetch = function (input: RequestInfo | URL, init?: RequestInit) {
        try {
          const req = input instanceof Request ? input.clone() : new Request(input, init);
          if (req.method === "POST") {
            void req.formData().then((fd) => w.__posts.push(Object.fromEntries([...fd].filter((e): e is [string, string] => typeof e[1] === "string"))), () => null);
          }
        } catch { /* not ours to break */ }
        return original.call(window, input, init);
      } as typeof window.fetch;
    });
    const posts = () => page.evaluate(() => (window as unknown as { __posts: Record<string, string>[] }).__posts);
    await page.goto(`${demo.baseUrl}/demo/admin?to=${encodeURIComponent("/app/preview")}`, { waitUntil: "networkidle" });
    await expect.poll(() => page.locator(".Polaris-Page").count()).toBeGreaterThan(0);
    const results = '[data-testid="photo-results"] [data-testid="result-card"]';
    await page.locator('input[type="file"]').setInputFiles(queries[0]);
    await expect.poll(() => page.locator(results).count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await expect.poll(async () => (await posts()).length).toBeGreaterThan(0);
    expect((await posts())[0].box_x).toBeUndefined(); // the first search lets the server guess
    const crop = page.locator('[data-testid="crop-box"]');
    await expect.poll(() => crop.isVisible()).toBe(true);
    const start = await crop.getAttribute("aria-valuetext");
    await crop.focus();
    for (let i = 0; i < 5; i++) await page.keyboard.press("Shift+ArrowLeft");
    for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowRight");
    expect(await crop.getAttribute("aria-valuetext")).not.toBe(start);
    await page.getByLabel("What differs (optional)").fill("in red");
    await page.getByRole("button", { name: "Search this area" }).click();
    await expect.poll(async () => (await posts()).at(-1)?.q, { timeout: 10_000 }).toBe("in red");
    const body = (await posts()).at(-1)!;
    for (const k of ["box_x", "box_y", "box_w", "box_h"]) expect(Number(body[k] ?? -1), k).toBeGreaterThanOrEqual(0);
    expect(Number(body.box_w)).toBeLessThan(1);
    expect(Number(body.box_x)).toBeGreaterThan(0);
    await expect.poll(() => page.locator(results).count(), { timeout: 30_000 }).toBeGreaterThan(0);
    for (const h of await page.locator('[data-testid="crop-box"] > span').evaluateAll((hs) => hs.map((n) => n.getBoundingClientRect().toJSON() as DOMRect))) {
      expect(h.width).toBeGreaterThanOrEqual(24);
      expect(h.height).toBeGreaterThanOrEqual(24);
    }
    expect(await seriousViolations(page, '[data-testid="photo-crop"]')).toEqual([]);
    await page.locator('[data-testid="photo-crop"]').scrollIntoViewIfNeeded();
    await shot(page, "admin-preview");
    await ctx.close();
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it.skipIf(!HAS_QUERIES)("phone, CPU 4× slower: sending the box vs cropping in the browser (decision 0013)", async () => {
    const ctx = await browser.newContext({ ...VIEWPORTS.phone });
    const page = await ctx.newPage();
    await page.goto(`${demo.baseUrl}/demo/products/${handle}`, { waitUntil: "networkidle" });
    await page.locator("[data-lookalike-photo-open]").first().click();
    await page.locator('.lookalike-modal input[type="file"]').first().setInputFiles(queries[3]);
    await expect.poll(() => cards(page).count(), { timeout: 20_000 }).toBeGreaterThan(0);
    const cdp = await ctx.newCDPSession(page);
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
    const runs = await page.evaluate(async () => {
      const blob = await (await fetch((document.querySelector(".lookalike-stage__img") as HTMLImageElement).src)).blob();
      const box = { x: 0.2, y: 0.15, w: 0.55, h: 0.6 };
      const post = async (body: Blob, query: string) => {
        const fd = new FormData();
        fd.append("image", body, "photo.jpg");
        const r = await fetch(`/apps/lookalike/visual-search?${query}`, { method: "POST", body: fd, headers: { Accept: "application/json" } });
        await r.json();
      };
      const sendBox = async () => post(blob, `box_x=${box.x}&box_y=${box.y}&box_w=${box.w}&box_h=${box.h}`);
      let cropBytes = 0;
      const cropHere = async () => {
        const bmp = await createImageBitmap(blob);
        const sx = Math.round(box.x * bmp.width), sy = Math.round(box.y * bmp.height);
        const sw = Math.round(box.w * bmp.width), sh = Math.round(box.h * bmp.height);
        const c = document.createElement("canvas");
        c.width = sw;
        c.height = sh;
        c.getContext("2d")!.drawImage(bmp, sx, sy, sw, sh, 0, 0, sw, sh);
        bmp.close();
        const crop = await new Promise<Blob>((res, rej) => c.toBlob((b) => (b ? res(b) : rej(new Error("encode"))), "image/jpeg", 0.85));
        cropBytes = crop.size;
        await post(crop, "");
      };
      const time = async (f: () => Promise<void>) => { const t = performance.now(); await f(); return performance.now() - t; };
      await sendBox(); await cropHere(); // warm
      const box_: number[] = [], crop_: number[] = [], cropOnly: number[] = [];
      for (let i = 0; i < 15; i++) {
        box_.push(await time(sendBox));
        crop_.push(await time(cropHere));
        // The browser's own work for the crop (decode, draw, encode), without the request.
        cropOnly.push(await time(async () => {
          const bmp = await createImageBitmap(blob);
          const c = document.createElement("canvas");
          c.width = Math.round(box.w * bmp.width);
          c.height = Math.round(box.h * bmp.height);
          c.getContext("2d")!.drawImage(bmp, box.x * bmp.width, box.y * bmp.height, c.width, c.height, 0, 0, c.width, c.height);
          bmp.close();
          await new Promise((res) => c.toBlob(res, "image/jpeg", 0.85));
        }));
      }
      return { box: box_, crop: crop_, cropOnly, photoBytes: blob.size, cropBytes };
    });
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 1 });
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const figures = { sendBoxMs: median(runs.box), browserCropMs: median(runs.crop), browserCropWorkMs: median(runs.cropOnly), photoBytes: runs.photoBytes, cropBytes: runs.cropBytes, runs };
    console.log(`[decision 0013] phone, CPU 4×: send the box ${figures.sendBoxMs.toFixed(0)} ms, crop in the browser ${figures.browserCropMs.toFixed(0)} ms (of which crop work ${figures.browserCropWorkMs.toFixed(0)} ms); photo ${runs.photoBytes} B, crop ${runs.cropBytes} B`);
    writeFileSync(path.join(ARTIFACTS, "photo-crop-measure.json"), JSON.stringify(figures, null, 2));
    expect(figures.sendBoxMs).toBeGreaterThan(0);
    expect(figures.browserCropMs).toBeGreaterThan(0);
    await ctx.close();
  }, 180_000);
});
