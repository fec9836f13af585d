/*
 * How fast the configurator is in the browser: time from navigation to data-configurator="local"
 * (wasm loaded, rules fetched and compiled), and per change: the change handler alone (the
 * engine's assessment in wasm and the new state: "engine"), until the DOM is updated
 * ("change", a macrotask after the event) and until the next frame, p50/p95 over 200 changes. Prints one JSON
 * line per product; E2E_BENCH_PRODUCTS (comma-separated slugs, default "bicycle,workstation")
 * picks the products, E2E_BENCH_CHANGES the number of changes.
 */
import { expect, test } from '@playwright/test';

const PRODUCTS = (process.env.E2E_BENCH_PRODUCTS ?? 'bicycle,workstation').split(',');
const CHANGES = Number(process.env.E2E_BENCH_CHANGES ?? 200);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

for (const slug of PRODUCTS) {
  test(`configurator timing: ${slug}`, async ({ page }) => {
    test.setTimeout(300_000);
    const started = Date.now();
    await page.goto(`/products/${slug}`);
    await expect(page.locator('form[data-configurator="local"]')).toBeAttached({ timeout: 120_000 });
    const ready = Date.now() - started;
    const times = await page.evaluate(async (changes) => {
      // After the change: a macrotask (MessageChannel) runs once leptos's queued effects have
      // patched the DOM; the next animation frame is when the buyer sees it.
      const channel = new MessageChannel();
      const settled = () =>
        new Promise((resolve) => {
          channel.port1.onmessage = () => resolve(null);
          channel.port2.postMessage(null);
        });
      const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve(null)));
      const selects = [...document.querySelectorAll<HTMLSelectElement>('form.configure select')];
      const out: number[] = [];
      const painted: number[] = [];
      const handler: number[] = [];
      let seed = 12345;
      for (let i = 0; i < changes; i++) {
        seed = (seed * 16807) % 2147483647;
        const select = selects[seed % selects.length];
        const others = [...select.options].filter((o) => o.value !== select.value && !o.hidden);
        if (others.length === 0) continue;
        select.value = others[seed % others.length].value;
        const t0 = performance.now();
        select.dispatchEvent(new Event('change', { bubbles: true }));
        // The change handler runs synchronously: the engine's assessment and the new state.
        handler.push(performance.now() - t0);
        await settled();
        out.push(performance.now() - t0);
        await frame();
        painted.push(performance.now() - t0);
      }
      return { out, painted, handler };
    }, CHANGES);
    const sorted = [...times.out].sort((a, b) => a - b);
    const painted = [...times.painted].sort((a, b) => a - b);
    const handler = [...times.handler].sort((a, b) => a - b);
    console.log(
      JSON.stringify({
        product: slug,
        ready_ms: ready,
        changes: sorted.length,
        engine_p50_ms: Number(percentile(handler, 0.5).toFixed(2)),
        engine_p95_ms: Number(percentile(handler, 0.95).toFixed(2)),
        change_p50_ms: Number(percentile(sorted, 0.5).toFixed(2)),
        change_p95_ms: Number(percentile(sorted, 0.95).toFixed(2)),
        change_max_ms: Number(sorted[sorted.length - 1].toFixed(2)),
        to_next_frame_p50_ms: Number(percentile(painted, 0.5).toFixed(2)),
        to_next_frame_p95_ms: Number(percentile(painted, 0.95).toFixed(2)),
      }),
    );
  });
}
