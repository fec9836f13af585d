/*
 * Where a configurator change spends its time in the browser: a Chromium trace of
 * E2E_TRACE_CHANGES changes (default 40) on each product of E2E_BENCH_PRODUCTS, with the main
 * thread's time summed by trace event (script, style, layout, paint...). Prints one JSON line per
 * product; asserts nothing.
 */
import { expect, test } from '@playwright/test';
import { addBenchStyle } from './support';

const PRODUCTS = (process.env.E2E_BENCH_PRODUCTS ?? 'bicycle').split(',');
const CHANGES = Number(process.env.E2E_TRACE_CHANGES ?? 40);

type TraceEvent = { name: string; ph: string; dur?: number; tid: number; pid: number; ts: number; args?: { data?: { frame?: string } } };

for (const slug of PRODUCTS) {
  test(`configurator trace: ${slug}`, async ({ page, browser }) => {
    test.setTimeout(300_000);
    await page.goto(`/products/${slug}`);
    await expect(page.locator('form[data-configurator="local"]')).toBeAttached({ timeout: 120_000 });
    await addBenchStyle(page);
    await page.waitForTimeout(500);
    await browser.startTracing(page, { categories: ['devtools.timeline', 'v8.execute', 'blink'] });
    await page.evaluate(async (changes) => {
      const selects = [...document.querySelectorAll<HTMLSelectElement>('form.configure select')];
      let seed = 777;
      const pause = () => new Promise((resolve) => setTimeout(resolve, 50));
      for (let i = 0; i < changes; i++) {
        seed = (seed * 16807) % 2147483647;
        const select = selects[seed % selects.length];
        const others = [...select.options].filter((o) => o.value !== select.value && !o.hidden);
        if (others.length === 0) continue;
        select.value = others[seed % others.length].value;
        performance.mark('change-start');
        select.dispatchEvent(new Event('change', { bubbles: true }));
        performance.mark('change-end');
        await pause();
      }
    }, CHANGES);
    const buffer = await browser.stopTracing();
    const events: TraceEvent[] = JSON.parse(buffer.toString()).traceEvents;
    // The renderer's main thread is the one that ran the change events.
    const main = events.find((e) => e.name === 'EventDispatch' || e.name === 'FunctionCall');
    const totals = new Map<string, { ms: number; count: number; max: number }>();
    for (const e of events) {
      if (!main || e.pid !== main.pid || e.tid !== main.tid || e.ph !== 'X' || !e.dur) continue;
      const t = totals.get(e.name) ?? { ms: 0, count: 0, max: 0 };
      t.ms += e.dur / 1000;
      t.count += 1;
      t.max = Math.max(t.max, e.dur / 1000);
      totals.set(e.name, t);
    }
    const top = [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25);
    console.log(
      JSON.stringify({
        product: slug,
        changes: CHANGES,
        ms_by_event: Object.fromEntries(top.map(([k, t]) => [k, `${t.ms.toFixed(1)} ms in ${t.count}, max ${t.max.toFixed(1)}`])),
      }),
    );
  });
}
