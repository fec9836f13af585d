/*
 * Which functions a configurator change spends its time in: V8's sampling CPU profiler (every
 * 50 µs) over E2E_PROFILE_CHANGES changes (default 100) on each product of E2E_BENCH_PRODUCTS,
 * each change followed by a forced layout as in configurator.bench.ts. Wasm functions appear
 * under their names when the bundle keeps its name section, else as `$func…` (see the wasm's
 * build). Prints, per product, the self time of the 30 heaviest functions and the profile's
 * totals (garbage collection, "(program)": the browser's own work such as style and layout);
 * asserts nothing.
 */
import { expect, test } from '@playwright/test';
import { addBenchStyle } from './support';

const PRODUCTS = (process.env.E2E_BENCH_PRODUCTS ?? 'bicycle').split(',');
const CHANGES = Number(process.env.E2E_PROFILE_CHANGES ?? 100);

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[] };

for (const slug of PRODUCTS) {
  test(`configurator profile: ${slug}`, async ({ page }) => {
    test.setTimeout(300_000);
    await page.goto(`/products/${slug}`);
    await expect(page.locator('form[data-configurator="local"]')).toBeAttached({ timeout: 120_000 });
    await addBenchStyle(page);
    await page.waitForTimeout(500);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 50 });
    await cdp.send('Profiler.start');
    const busy = await page.evaluate(async (changes) => {
      const selects = [...document.querySelectorAll<HTMLSelectElement>('form.configure select')];
      const clear = [...document.querySelectorAll<HTMLButtonElement>('form.configure button')].find((b) => b.textContent?.trim() === 'Clear my choices');
      const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve(null)));
      let seed = 777;
      let total = 0;
      for (let i = 0; i < changes; ) {
        seed = (seed * 16807) % 2147483647;
        const open = selects.filter((s) => [...s.options].some((o) => o.value !== s.value && !o.hidden));
        if (open.length === 0) {
          clear?.click();
          await frame();
          continue;
        }
        const select = open[seed % open.length];
        const others = [...select.options].filter((o) => o.value !== select.value && !o.hidden);
        select.value = others[seed % others.length].value;
        const t0 = performance.now();
        select.dispatchEvent(new Event('change', { bubbles: true }));
        for (let k = 0; k < 50; k++) await Promise.resolve();
        void document.documentElement.getBoundingClientRect().height;
        total += performance.now() - t0;
        i++;
        await frame();
      }
      return total;
    }, CHANGES);
    const { profile } = (await cdp.send('Profiler.stop')) as { profile: Profile };
    const self = new Map<number, number>();
    profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
    const byName = new Map<string, number>();
    for (const node of profile.nodes) {
      const ms = self.get(node.id) ?? 0;
      if (ms === 0) continue;
      const file = node.callFrame.url.split('/').pop() ?? '';
      const key = `${node.callFrame.functionName || '(anonymous)'} ${file}`.trim();
      byName.set(key, (byName.get(key) ?? 0) + ms);
    }
    const sum = [...byName.values()].reduce((a, b) => a + b, 0);
    const top = [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30);
    console.log(
      JSON.stringify({
        product: slug,
        changes: CHANGES,
        measured_ms_per_change: Number((busy / CHANGES).toFixed(2)),
        profiled_ms: Number(sum.toFixed(1)),
        self_ms: Object.fromEntries(top.map(([k, ms]) => [k, Number(ms.toFixed(1))])),
      }),
    );
  });
}
