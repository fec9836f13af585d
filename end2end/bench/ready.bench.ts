/*
 * Where the time until a product page's engine is ready goes: from the navigation's start (ms),
 * the page's HTML received, DOMContentLoaded, the wasm received, the rules received, and the form
 * saying data-configurator="local" (the rules read, compiled or loaded compiled, and the first
 * assessment shown); with the sizes of the HTML, the wasm and the rules (transferred / decoded
 * bytes). One JSON line per product of E2E_BENCH_PRODUCTS; asserts nothing.
 */
import { expect, test } from '@playwright/test';

const PRODUCTS = (process.env.E2E_BENCH_PRODUCTS ?? 'bicycle').split(',');

for (const slug of PRODUCTS) {
  test(`configurator ready: ${slug}`, async ({ page }) => {
    test.setTimeout(300_000);
    // Stamps the moment the form turns local, in the page's own clock.
    await page.addInitScript(() => {
      new MutationObserver((_, observer) => {
        if (document.querySelector('form[data-configurator="local"]')) {
          (window as unknown as { readyAt: number }).readyAt = performance.now();
          observer.disconnect();
        }
      }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-configurator'], childList: true });
    });
    await page.goto(`/products/${slug}`);
    await expect(page.locator('form[data-configurator="local"]')).toBeAttached({ timeout: 120_000 });
    const figures = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
      const find = (test: (name: string) => boolean) => resources.find((r) => test(new URL(r.name).pathname));
      const wasm = find((path) => path.startsWith('/pkg/') && path.endsWith('.wasm'));
      const rules = find((path) => path.startsWith('/rules/'));
      const round = (ms: number | undefined) => (ms === undefined ? null : Math.round(ms));
      return {
        html_received_ms: round(nav.responseEnd),
        dom_content_loaded_ms: round(nav.domContentLoadedEventEnd),
        wasm_received_ms: round(wasm?.responseEnd),
        rules_requested_ms: round(rules?.startTime),
        rules_received_ms: round(rules?.responseEnd),
        ready_ms: round((window as unknown as { readyAt?: number }).readyAt),
        html_bytes: [nav.transferSize, nav.decodedBodySize],
        wasm_bytes: wasm ? [wasm.transferSize, wasm.decodedBodySize] : null,
        rules_bytes: rules ? [rules.transferSize, rules.decodedBodySize] : null,
        rules_kind: rules ? new URL(rules.name).pathname.split('.').pop() : null,
      };
    });
    console.log(JSON.stringify({ product: slug, ...figures }));
  });
}
