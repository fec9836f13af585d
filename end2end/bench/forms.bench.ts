/*
 * How fast the console's rule forms check a change in the browser, per product of
 * E2E_BENCH_PRODUCTS, as the demo merchandiser (E2E_BENCH_MERCHANDISER_PASSWORD): the size of the
 * forms page with an excludes rule's form open (its HTML carries the draft for the island) and
 * with none, the
 * time from navigation until the form is checked live (wasm and the check's chunk loaded), and
 * per edit of the rule's conditions the time from the input event until the check of the
 * changed draft is shown, p50/p95 over E2E_BENCH_EDITS edits. That time includes the island's
 * 250 ms pause after the last keystroke; `check_ms` is it without the pause. Prints one JSON
 * line per product; asserts nothing.
 */
import { expect, test } from '@playwright/test';
import { logIn } from '../tests/helpers';

const PRODUCTS = (process.env.E2E_BENCH_PRODUCTS ?? 'bicycle').split(',');
const PASSWORD = process.env.E2E_BENCH_MERCHANDISER_PASSWORD ?? 'merch-e2e-password';
const EDITS = Number(process.env.E2E_BENCH_EDITS ?? 10);
const PAUSE_MS = 250;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

for (const slug of PRODUCTS) {
  test(`rule forms live check: ${slug}`, async ({ page }) => {
    test.setTimeout(300_000);
    await logIn(page, 'merchandiser@atelier.test', PASSWORD);
    const started = Date.now();
    const response = await page.goto(`/admin/products/${slug}/rules/edit?add=excludes#form`);
    const html = await response!.text();
    await expect(page.locator('[data-form-check="live"]')).toHaveCount(1, { timeout: 120_000 });
    const ready = Date.now() - started;
    // The same page with no form open (no island, so no draft in it), for comparison.
    const plain = await (await page.request.get(`/admin/products/${slug}/rules/edit`)).body();
    // Conditions from the page's own list of groups and options: "Group: A, B, C" per line.
    const lines = await page.locator('details.reference li').allTextContents();
    const groups = lines.map((line) => {
      const at = line.indexOf(': ');
      return { group: line.slice(0, at), options: line.slice(at + 2).split(', ') };
    }).filter((g) => g.options.length > 1);
    const conditions = Array.from({ length: EDITS }, (_, i) => {
      const a = groups[i % groups.length];
      const b = groups[(i + 1) % groups.length];
      return `${a.group}: ${a.options[i % a.options.length]}\n${b.group}: ${b.options[(i + 1) % b.options.length]}`;
    });
    const times = await page.evaluate(async (conditions) => {
      const area = document.querySelector<HTMLTextAreaElement>('textarea[name="conditions"]')!;
      const status = document.querySelector('[data-form-check] [role="status"]')!;
      const out: number[] = [];
      for (const text of conditions) {
        // Each check renders its report anew, so its first patch marks it shown.
        const shown = new Promise<number>((resolve) => {
          const observer = new MutationObserver(() => {
            observer.disconnect();
            resolve(performance.now());
          });
          observer.observe(status, { subtree: true, childList: true, characterData: true });
        });
        area.value = text;
        const t0 = performance.now();
        area.dispatchEvent(new Event('input', { bubbles: true }));
        out.push((await shown) - t0);
      }
      return out;
    }, conditions);
    const sorted = [...times].sort((a, b) => a - b);
    const summary = await page.getByTestId('form-check').innerText();
    console.log(JSON.stringify({
      product: slug,
      page_bytes: Buffer.byteLength(html),
      page_bytes_no_form: plain.length,
      ready_ms: ready,
      edits: sorted.length,
      shown_p50_ms: Number(percentile(sorted, 0.5).toFixed(1)),
      shown_p95_ms: Number(percentile(sorted, 0.95).toFixed(1)),
      check_p50_ms: Number((percentile(sorted, 0.5) - PAUSE_MS).toFixed(1)),
      check_p95_ms: Number((percentile(sorted, 0.95) - PAUSE_MS).toFixed(1)),
      last: summary.split('\n').slice(0, 3).join(' / ').slice(0, 200),
    }));
  });
}
