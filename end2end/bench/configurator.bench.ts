/*
 * How fast the configurator is in the browser: time from navigation to data-configurator="local"
 * (wasm loaded, rules fetched and compiled), and per change, p50/p95 over 200 changes:
 * - "assess": the engine's assessment in wasm (the island's own user-timing measure);
 * - "engine": the change handler alone (the assessment and the new state);
 * - "change": until the page shows the new price and availability, that is until leptos's queued
 *   effects have patched the DOM (the microtasks after the event) and the browser has computed
 *   the new style and layout (forced right then), so it is the work a frame has to fit, without
 *   the wait for the display's next refresh; a MutationObserver checks that no patch comes later
 *   (`late_patches` counts changes where one did; the addresses of the unavailable lines' links,
 *   which the page does not show, are brought up to date after the paint with the address bar,
 *   and are not counted);
 * - "to_next_frame": until the next animation frame after that.
 * Changes go to a random group that still offers another option; when none is left, "Clear
 * my choices" starts again (not measured, counted as `resets`).
 * Prints one JSON line per product; E2E_BENCH_PRODUCTS (comma-separated slugs, default
 * "bicycle,workstation") picks the products, E2E_BENCH_CHANGES the number of changes,
 * E2E_BENCH_PAUSE_MS a pause between changes (default 0: back to back), E2E_BENCH_SEED the
 * random walk (default 12345). With 400 changes or more, `change_p50_p95_by_200` gives the
 * "change" p50/p95 of each run of 200: the page's first changes are slower than later ones
 * (the browser compiling and optimising code on first use, see the README).
 */
import { expect, test } from '@playwright/test';
import { addBenchStyle } from './support';

const PRODUCTS = (process.env.E2E_BENCH_PRODUCTS ?? 'bicycle,workstation').split(',');
const CHANGES = Number(process.env.E2E_BENCH_CHANGES ?? 200);
const PAUSE_MS = Number(process.env.E2E_BENCH_PAUSE_MS ?? 0);
const SEED = Number(process.env.E2E_BENCH_SEED ?? 12345);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

for (const slug of PRODUCTS) {
  test(`configurator timing: ${slug}`, async ({ page }) => {
    test.setTimeout(300_000);
    const started = Date.now();
    await page.goto(`/products/${slug}`);
    await expect(page.locator('form[data-configurator="local"]')).toBeAttached({ timeout: 120_000 });
    const ready = Date.now() - started;
    await addBenchStyle(page);
    const times = await page.evaluate(async ({ changes, pauseMs, seed: start }) => {
      let lastPatch = 0;
      new MutationObserver((records) => {
        // The links' addresses, which the page does not show, follow after the paint.
        if (records.some((r) => !(r.type === 'attributes' && r.attributeName === 'href'))) lastPatch = performance.now();
      }).observe(document.querySelector('form.configure')!, { subtree: true, childList: true, attributes: true, characterData: true });
      const channel = new MessageChannel();
      const nextTask = () =>
        new Promise((resolve) => {
          channel.port1.onmessage = () => resolve(null);
          channel.port2.postMessage(null);
        });
      const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve(null)));
      const pause = () => new Promise((resolve) => setTimeout(resolve, pauseMs));
      const selects = [...document.querySelectorAll<HTMLSelectElement>('form.configure select')];
      const out: number[] = [];
      const painted: number[] = [];
      const handler: number[] = [];
      const assess: number[] = [];
      let late = 0;
      let seed = start;
      let resets = 0;
      const alternatives = (select: HTMLSelectElement) => [...select.options].filter((o) => o.value !== select.value && !o.hidden);
      const clear = [...document.querySelectorAll<HTMLButtonElement>('form.configure button')].find((b) => b.textContent?.trim() === 'Clear my choices');
      while (out.length < changes) {
        seed = (seed * 16807) % 2147483647;
        // A random group among those that still offer another option; when the choices have
        // left none (a car range forces most groups), "Clear my choices" starts again, unmeasured.
        const open = selects.filter((s) => alternatives(s).length > 0);
        if (open.length === 0) {
          if (!clear || clear.disabled || resets >= changes) break;
          resets++;
          clear.click();
          for (let k = 0; k < 50; k++) await Promise.resolve();
          await frame();
          continue;
        }
        const select = open[seed % open.length];
        const others = alternatives(select);
        select.value = others[seed % others.length].value;
        const t0 = performance.now();
        select.dispatchEvent(new Event('change', { bubbles: true }));
        // The change handler runs synchronously: the engine's assessment and the new state.
        handler.push(performance.now() - t0);
        // The island's own measure of the engine's assessment within it.
        const measured = performance.getEntriesByName('configurator: assess', 'measure')[0];
        if (measured) assess.push(measured.duration);
        // leptos runs the effects it queued as microtasks; these run after them.
        for (let k = 0; k < 50; k++) await Promise.resolve();
        void document.documentElement.getBoundingClientRect().height;
        const shown = performance.now();
        out.push(shown - t0);
        await nextTask();
        if (lastPatch > shown) late++;
        await frame();
        painted.push(performance.now() - t0);
        if (pauseMs > 0) await pause();
      }
      return { out, painted, handler, assess, late, resets };
    }, { changes: CHANGES, pauseMs: PAUSE_MS, seed: SEED });
    const byWindow: number[][] = [];
    for (let start = 0; times.out.length >= 400 && start + 200 <= times.out.length; start += 200) {
      const part = times.out.slice(start, start + 200).sort((a, b) => a - b);
      byWindow.push([Number(percentile(part, 0.5).toFixed(1)), Number(percentile(part, 0.95).toFixed(1))]);
    }
    const sorted = [...times.out].sort((a, b) => a - b);
    const painted = [...times.painted].sort((a, b) => a - b);
    const handler = [...times.handler].sort((a, b) => a - b);
    const assess = [...times.assess].sort((a, b) => a - b);
    console.log(
      JSON.stringify({
        product: slug,
        ready_ms: ready,
        changes: sorted.length,
        assess_p50_ms: Number(percentile(assess, 0.5).toFixed(2)),
        assess_p95_ms: Number(percentile(assess, 0.95).toFixed(2)),
        engine_p50_ms: Number(percentile(handler, 0.5).toFixed(2)),
        engine_p95_ms: Number(percentile(handler, 0.95).toFixed(2)),
        change_p50_ms: Number(percentile(sorted, 0.5).toFixed(2)),
        change_p95_ms: Number(percentile(sorted, 0.95).toFixed(2)),
        change_max_ms: Number(sorted[sorted.length - 1].toFixed(2)),
        to_next_frame_p50_ms: Number(percentile(painted, 0.5).toFixed(2)),
        to_next_frame_p95_ms: Number(percentile(painted, 0.95).toFixed(2)),
        ...(byWindow.length > 0 ? { change_p50_p95_by_200: byWindow } : {}),
        late_patches: times.late,
        resets: times.resets,
      }),
    );
  });
}
