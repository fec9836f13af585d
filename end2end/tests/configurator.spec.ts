/*
 * The configurator in the browser: once the product form says data-configurator="local", every
 * change is computed by the engine in wasm with no request, and what the page shows is exactly
 * what the server renders for the same URL. Contract as in buyer.spec.ts, plus: a text input
 * "Keep it under (€)"; buttons "Cheapest valid completion", "Clear my choices", "Undo"; each
 * option's text "<name> (<delta>[, only N left])" where delta is "+€…", "−€…" or "included";
 * data-testid="lead-time" "Ships in about N working days" (or "Ready to ship …").
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

import { expect, type Page, test } from '@playwright/test';
import { checkout, minorUnits, openProduct, placeOrderAndReadNumber, readPrice, settled, uniqueEmail } from './helpers';

const PRODUCTS = ['bicycle', 'workstation', 'keyboard', 'standing-desk'];
const STEPS = Number(process.env.E2E_CONFIGURATOR_STEPS ?? 200);

/**
 * Runs `steps` random buyer actions in the page. After each, it reads what a buyer sees of the
 * configuration (selections, the options offered with their labels, the unavailable lines,
 * price, range, delivery, notices) from the live document and from the server's HTML for the
 * page's current URL, and stops at the first difference. All in the page, so a few hundred
 * comparisons take seconds.
 */
async function compareWithServer(page: Page, seed: number, steps: number) {
  return page.evaluate(
    async ({ seed, steps }) => {
      // mulberry32: small, seeded, and good enough in its low bits for picking among a few.
      let state = seed >>> 0;
      const random = (n: number) => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return (((t ^ (t >>> 14)) >>> 0) % n);
      };
      const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve(null)));
      const text = (el: Element | null) => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
      const read = (root: ParentNode, live: boolean) => {
        const form = root.querySelector('form.configure')!;
        return {
          groups: [...form.querySelectorAll('select')].map((select) => {
            const container = select.closest('.group')!;
            const options = [...select.querySelectorAll('option')];
            return {
              name: select.name,
              selected: live ? select.value : (options.find((o) => o.hasAttribute('selected'))?.value ?? options[0]?.value),
              options: options.map((o) => `${o.value}=${text(o)}`),
              unavailable: [...container.querySelectorAll('ul.unavailable li')].map(text),
              // Where "Make available" and "Why?" lead (opened in a new tab, or without the
              // engine): brought up to date after the paint, with the address bar.
              links: [...container.querySelectorAll('ul.unavailable a')].map((a) => a.getAttribute('href')),
              hint: text(container.querySelector('.hint')),
            };
          }),
          price: text(form.querySelector('[data-testid="price"]')),
          range: text(form.querySelector('.price-range')),
          lead: text(form.querySelector('[data-testid="lead-time"]')),
          notices: [...form.querySelectorAll('.notice')].map(text),
        };
      };
      const form = document.querySelector('form.configure')!;
      const click = (label: string) =>
        [...form.querySelectorAll<HTMLButtonElement>('button')].find((b) => b.textContent?.trim() === label);
      const actions: Record<string, number> = {};
      for (let step = 0; step < steps; step++) {
        let action = 'change';
        const roll = random(12);
        const fixes = [...form.querySelectorAll<HTMLAnchorElement>('a.fix')];
        const budget = form.querySelector<HTMLInputElement>('#budget')!;
        if (roll === 0 && fixes.length > 0) {
          action = 'make available';
          fixes[random(fixes.length)].click();
          await frame();
          click('Apply these changes')?.click();
        } else if (roll === 1) {
          action = 'budget';
          const price = Number(text(form.querySelector('[data-testid="price"]')).replace(/[^\d]/g, '')) / 100;
          budget.value = budget.value === '' ? String(Math.round(price * (0.85 + random(30) / 100))) : '';
          budget.dispatchEvent(new Event('change', { bubbles: true }));
        } else if (roll === 2) {
          action = 'clear';
          click('Clear my choices')?.click();
        } else if (roll === 3) {
          action = 'cheapest';
          click('Cheapest valid completion')?.click();
        } else if (roll === 4) {
          action = 'undo';
          click('Undo')?.click();
        } else {
          const selects = [...form.querySelectorAll('select')];
          const select = selects[random(selects.length)];
          const others = [...select.options].filter((o) => o.value !== select.value && !o.hidden);
          if (others.length === 0) continue;
          select.value = others[random(others.length)].value;
          select.dispatchEvent(new Event('change', { bubbles: true }));
        }
        await frame();
        // The address bar follows the choices in a task after the paint.
        await new Promise((resolve) => setTimeout(resolve, 0));
        actions[action] = (actions[action] ?? 0) + 1;
        const local = read(document, true);
        const html = await (await fetch(location.href, { credentials: 'same-origin' })).text();
        const server = read(new DOMParser().parseFromString(html, 'text/html'), false);
        if (JSON.stringify(local) !== JSON.stringify(server)) {
          return { step, action, url: location.href, local, server, actions };
        }
      }
      return { actions };
    },
    { seed, steps },
  );
}

for (const slug of PRODUCTS) {
  test(`${slug}: the browser's engine shows what the server computes, change after change`, async ({ page }) => {
    await openProduct(page, slug);
    await expect(page.locator('form[data-configurator="local"]')).toBeAttached();
    const result = await compareWithServer(page, 1_000 + slug.length, STEPS);
    expect(result, 'first difference between the local page and the server\'s').not.toHaveProperty('local');
    // Every kind of action was tried.
    for (const action of ['change', 'make available', 'budget', 'clear', 'cheapest', 'undo']) {
      expect(result.actions[action] ?? 0, `${action} in ${JSON.stringify(result.actions)}`).toBeGreaterThan(0);
    }
  });
}

test('a change on a hydrated product page asks the server nothing and keeps the URL in step', async ({ page }) => {
  await openProduct(page, 'bicycle');
  const requests: string[] = [];
  // The browser itself looks at the favicon again when the URL changes; that is not the page.
  page.on('request', (request) => {
    if (!request.url().endsWith('/favicon.svg')) requests.push(request.url());
  });
  const frame = page.getByLabel('Frame', { exact: true });
  const before = await readPrice(page);
  const value = await frame.locator('option').evaluateAll(
    (options) => (options as HTMLOptionElement[]).filter((o) => !o.hidden).map((o) => o.value).find((v) => v !== 'steel')!,
  );
  await frame.selectOption(value);
  await expect.poll(() => readPrice(page)).not.toBe(before);
  await expect(page).toHaveURL(new RegExp(`configuration%5Bframe%5D=${value}|configuration\\[frame\\]=${value}`));
  await page.getByRole('button', { name: 'Undo' }).click();
  expect(await readPrice(page)).toBe(before);
  expect(requests, 'no request per change').toEqual([]);

  // A reload of the URL shows the same configuration, now rendered by the server.
  await frame.selectOption(value);
  const configured = await readPrice(page);
  await page.reload();
  await settled(page);
  await expect(page.getByLabel('Frame', { exact: true })).toHaveValue(value);
  expect(await readPrice(page)).toBe(configured);
});

test('each option says what it does to the price, and the delivery estimate follows', async ({ page }) => {
  await openProduct(page, 'bicycle');
  const frame = page.getByLabel('Frame', { exact: true });
  const labels = await frame.locator('option').allInnerTexts();
  expect(labels.some((l) => /\(included/.test(l)), labels.join(' | ')).toBe(true);
  const dearer = labels.find((l) => /\(\+€[\d,]+\.\d\d/.test(l));
  expect(dearer, labels.join(' | ')).toBeTruthy();
  const before = await readPrice(page);
  const delta = minorUnits(dearer!.match(/\+€([\d,]+\.\d\d)/)![1]);
  // Before any choice every group is the shop's suggestion, and says so; a chosen one does not.
  const frameGroup = frame.locator('xpath=ancestor::*[contains(concat(" ", @class, " "), " group ")][1]');
  await expect(frameGroup.getByText('Suggested — you have not chosen this yet')).toBeVisible();
  await frame.selectOption({ label: dearer! });
  expect(await readPrice(page)).toBe(before + delta);
  await expect(frameGroup.getByText('Suggested — you have not chosen this yet')).toHaveCount(0);
  await expect(page.getByText('Suggested — you have not chosen this yet').first()).toBeVisible();
  await expect(page.getByTestId('lead-time')).toHaveText(/^(Ships in about \d+ working days?|Ready to ship within 1 working day)$/);
});

test('a budget makes dearer options unavailable and keeps the suggestion under it', async ({ page }) => {
  await openProduct(page, 'bicycle');
  const cheapest = await readPrice(page);
  await page.getByRole('button', { name: 'Cheapest valid completion' }).click();
  const floor = await readPrice(page);
  expect(floor).toBeLessThanOrEqual(cheapest);
  await page.getByRole('button', { name: 'Clear my choices' }).click();
  const budget = Math.ceil(floor / 100) + 300;
  await page.getByLabel('Keep it under (€)').fill(String(budget));
  await page.getByLabel('Keep it under (€)').press('Tab');
  await expect(page.getByText(new RegExp(`Not available: .+ — Over your budget of €${budget.toLocaleString('en-US')}\\.00`)).first()).toBeVisible();
  expect(await readPrice(page)).toBeLessThanOrEqual(budget * 100);
  await expect(page).toHaveURL(new RegExp(`budget=${budget}`));
});

test('the configurator works with the keyboard alone', async ({ page }) => {
  await openProduct(page, 'bicycle');
  const frame = page.getByLabel('Frame', { exact: true });
  await frame.focus();
  const before = await readPrice(page);
  const value = await frame.inputValue();
  await page.keyboard.press('ArrowDown');
  await expect(frame).not.toHaveValue(value);
  await expect(frame).toBeFocused();
  await expect.poll(() => readPrice(page)).not.toBe(before);
  // The change is announced politely.
  await expect(page.locator('[aria-live="polite"]')).toContainText('Price €');
  // Tab on to "Add to cart" and press Enter.
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    if (await page.getByRole('button', { name: 'Add to cart' }).evaluate((el) => el === document.activeElement)) break;
  }
  await expect(page.getByRole('button', { name: 'Add to cart' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/cart(\?|$)/);
});

test('an option sold out while the page was open is refused at add to cart, with the reason', async ({ page, browser }) => {
  // The demo has only 3 carbon wheel sets. This buyer picks them; another buyer takes all three
  // while the page is open (its engine still believes they are there).
  await openProduct(page, 'bicycle');
  const wheels = page.getByLabel('Wheels', { exact: true });
  await expect(wheels.locator('option[value="carbon-45"]')).toHaveText(/only 3 left/);
  await wheels.selectOption('carbon-45');
  const seen = await readPrice(page);
  const fields = await page.locator('form.configure').evaluate((form) =>
    [...new FormData(form as HTMLFormElement).entries()].map(([k, v]) => [k, String(v)]),
  );

  const other = await browser.newContext();
  const rival = await other.newPage();
  await rival.goto('/');
  const form = new URLSearchParams(fields.filter(([k]) => k !== 'quantity'));
  form.set('quantity', '3');
  const added = await rival.request.post('/api/add_to_cart', {
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(page.url()).origin },
    data: form.toString(),
    maxRedirects: 0,
  });
  expect(added.status(), await added.text()).toBeLessThan(400);
  await rival.goto('/cart');
  await checkout(rival, { email: uniqueEmail('rival'), fullName: 'Rita Rival' }, 'Invoice');
  await placeOrderAndReadNumber(rival);
  await other.close();

  // Nothing is added: the buyer is told why, and the page shows today's stock.
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page).toHaveURL(/\/products\/bicycle/);
  await expect(page.getByRole('alert')).toContainText(/Wheels: .*sold out|Out of stock|cannot be ordered/i);
  await expect(page.getByText(/^\s*Not available: Carbon.* — Out of stock/)).toBeVisible();
  await settled(page);
  expect(await readPrice(page)).not.toBe(seen);
  await page.goto('/cart');
  await expect(page.getByText('Your cart is empty.')).toBeVisible();
});

test('a configuration is saved under a short link, reopened and compared with another', async ({ page }) => {
  await openProduct(page, 'bicycle');
  const frame = page.getByLabel('Frame', { exact: true });
  await frame.selectOption('titanium');
  const titaniumPrice = await readPrice(page);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(/\/c\/[2-9A-HJ-NP-Z]{8}$/);
  const first = page.url();
  await expect(page.getByText('Nothing has changed since it was saved')).toBeVisible();
  await expect(page.getByRole('row', { name: /Frame Titanium/ })).toBeVisible();
  await expect(page.getByText(/^Today: €/)).toHaveText(new RegExp(amountPattern(titaniumPrice)));

  // Rename it, then save a second one from the configurator it opens.
  await page.getByLabel('Name', { exact: true }).fill('Titanium tourer');
  await page.getByRole('button', { name: 'Rename' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Titanium tourer' })).toBeVisible();
  await page.getByRole('link', { name: 'Open in the configurator' }).click();
  await settled(page);
  await expect(page.getByLabel('Frame', { exact: true })).toHaveValue('titanium');
  await page.getByLabel('Frame', { exact: true }).selectOption('steel');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(/\/c\/[2-9A-HJ-NP-Z]{8}$/);
  expect(page.url()).not.toBe(first);

  // "Compare" from the product page: the current configuration next to the saved ones.
  await page.goto('/products/bicycle');
  await settled(page);
  await page.getByLabel('Frame', { exact: true }).selectOption('aluminium');
  await page.getByRole('button', { name: 'Compare' }).click();
  await expect(page).toHaveURL(/\/compare\?/);
  const table = page.getByRole('table', { name: 'Configurations side by side' });
  await expect(table.getByRole('columnheader')).toHaveCount(3);
  const frameRow = table.getByRole('row', { name: /^Frame/ });
  await expect(frameRow).toHaveClass(/differs/);
  await expect(frameRow).toContainText('Aluminium');
  await expect(frameRow).toContainText('Titanium');
  await expect(frameRow).toContainText('Steel');
  await expect(table.getByRole('row', { name: /^Delivery/ })).toContainText('Ships in about');
});

function amountPattern(minor: number): string {
  const major = Math.floor(minor / 100).toLocaleString('en-US');
  return `€${major}\\.${String(minor % 100).padStart(2, '0')}`;
}

/**
 * Publishes new rules for the bicycle while a page is open, the way a merchandiser's "Publish"
 * does: a new rule version in the shop's database, here with titanium frames dearer by `more`.
 * (The console that does this is the merchandiser issue's; the test writes the row itself.)
 */
function publishDearerTitanium(more: number): void {
  const database = path.join(process.env.ATELIER_E2E_DATA_DIR!, 'atelier.db');
  const script = `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
rules = json.loads(db.execute("select rule_set from products where slug = 'bicycle'").fetchone()[0])
frame = next(g for g in rules["groups"] if g["id"] == "frame")
titanium = next(o for o in frame["options"] if o["id"] == "titanium")
titanium["price"] += int(sys.argv[2])
db.execute("update products set rule_set = ?, rule_version = rule_version + 1 where slug = 'bicycle'", (json.dumps(rules),))
db.commit()
`;
  execFileSync('python3', ['-c', script, database, String(more)]);
}

test('a page left open while new rules are published is refused at add to cart, with what changed', async ({ page }) => {
  await openProduct(page, 'bicycle');
  await page.getByLabel('Frame', { exact: true }).selectOption('titanium');
  const seen = await readPrice(page);

  publishDearerTitanium(10_000);
  await page.getByRole('button', { name: 'Add to cart' }).click();

  // Back on the product page: told what changed, with today's rules and price.
  await expect(page).toHaveURL(/\/products\/bicycle/);
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('changed while you were choosing');
  await expect(alert).toContainText(new RegExp(`now costs ${amountPattern(seen + 10_000)} \\(the page showed ${amountPattern(seen)}\\)`));
  await settled(page);
  await expect(page.getByLabel('Frame', { exact: true })).toHaveValue('titanium');
  expect(await readPrice(page)).toBe(seen + 10_000);
  await page.goto('/cart');
  await expect(page.getByText('Your cart is empty.')).toBeVisible();

  // What the buyer now sees is what is added.
  await page.goBack();
  await settled(page);
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page).toHaveURL(/\/cart(\?|$)/);
  expect(minorUnits(await page.getByTestId('cart-total').innerText())).toBe(seen + 10_000);
});

test('a product page downloads the one wasm bundle, none of the console\'s chunks', async ({ page }) => {
  const wasm: string[] = [];
  page.on('response', (response) => {
    const { pathname } = new URL(response.url());
    if (pathname.endsWith('.wasm')) wasm.push(pathname);
  });
  await page.goto('/products/bicycle');
  await expect(page.locator('form[data-configurator="local"]')).toBeAttached();
  // A change, so anything loaded on first use would have been loaded by now.
  const frame = page.getByLabel('Frame', { exact: true });
  const other = await frame.locator('option:not([hidden])').evaluateAll((options, current) =>
    options.map((o) => (o as HTMLOptionElement).value).find((v) => v !== current), await frame.inputValue());
  await frame.selectOption(other!);
  await expect(page).toHaveURL(new RegExp(`configuration%5Bframe%5D=${other}|configuration\\[frame\\]=${other}`));
  expect(wasm).toHaveLength(1);
  expect(wasm[0]).toMatch(/^\/pkg\/atelier\.[^/]+\.wasm$/);
});
