// Shared by the browser benchmarks.
import type { Page } from '@playwright/test';

/** Adds E2E_BENCH_CSS to the page, to try a style change without a rebuild (the page's CSP
 * refuses inline styles, not a constructed style sheet). Does nothing when it is not set. */
export async function addBenchStyle(page: Page): Promise<void> {
  const css = process.env.E2E_BENCH_CSS;
  if (!css) return;
  await page.evaluate((css) => {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  }, css);
}
