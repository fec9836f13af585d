/*
 * A range of the size of a car's: more options than the page explains up front on each change
 * (120), and more rules than the browser should compile itself (64 KB of JSON), so it loads the
 * engine's compiled form. Created and published by a merchandiser, and seen in their preview
 * (the product stays hidden, so no other test sees it). An unavailable option says why and how
 * to get it when the buyer asks: in the browser with no request, and without JavaScript from the
 * server by the same link.
 */
import { expect, test, type Page } from '@playwright/test';
import { expectNoViolations, logIn, markNoJs, settled } from './helpers';

/** An engine and a gearbox bound by one rule, and 96 optional trim groups of ten options. */
function largeRules(): string {
  const groups: object[] = [
    { id: 'engine', name: 'Engine', options: [{ id: 'petrol', name: 'Petrol 1.2', price: 0 }, { id: 'v6', name: 'V6 petrol', price: 450000 }] },
    { id: 'gearbox', name: 'Gearbox', options: [{ id: 'manual', name: 'Manual', price: 0 }, { id: 'automatic', name: 'Automatic', price: 180000 }] },
  ];
  for (let g = 1; g <= 96; g++) {
    const options = Array.from({ length: 10 }, (_, o) => ({ id: `trim-${g}-${o}`, name: `Trim ${g}.${o} in a longer name`, price: o * 1500 }));
    groups.push({ id: `trim-${g}`, name: `Trim line ${g}`, optional: true, options });
  }
  const rules = [{ kind: 'requires', id: 'v6-automatic', when: [{ group: 'engine', any_of: ['v6'] }], then: { group: 'gearbox', any_of: ['automatic'] }, message: 'The V6 comes with the automatic gearbox only.' }];
  return JSON.stringify({ version: 1, groups, rules });
}

const MANUAL = '?configuration%5Bgearbox%5D=manual';

async function createLargeProduct(page: Page): Promise<string> {
  const name = `Large range ${Date.now().toString(36)}`;
  const slug = name.toLowerCase().replace(/ /g, '-');
  await logIn(page, 'merchandiser@atelier.test', 'merch-e2e-password');
  await page.goto('/admin/catalogue');
  const form = page.getByRole('region', { name: 'New product' });
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Category').selectOption({ label: 'Accessories' });
  await form.getByRole('radio', { name: /^Configurable/ }).check();
  await form.getByLabel('Base price (€)').fill('15000');
  await form.getByLabel('Summary').fill('A benchmark-sized range.');
  await form.getByRole('button', { name: 'Create product' }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/catalogue/${slug}$`));
  await page.goto(`/admin/products/${slug}/rules`);
  await settled(page);
  const rules = largeRules();
  expect(rules.length, 'more rules than the browser compiles itself').toBeGreaterThan(64 * 1024);
  await page.getByLabel('Rule set (JSON)').fill(rules);
  await page.getByRole('button', { name: 'Save draft' }).click();
  await settled(page);
  await page.getByRole('button', { name: 'Publish as version 2' }).click();
  await settled(page);
  await expect(page.getByText('Version 2 is published.')).toBeVisible();
  return slug;
}

test('a large range loads compiled and explains an unavailable option when asked', async ({ page, browser }) => {
  test.setTimeout(120_000);
  const slug = await createLargeProduct(page);

  const rulesLoaded: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith('/rules/')) rulesLoaded.push(new URL(request.url()).pathname);
  });
  await page.goto(`/products/${slug}${MANUAL}`);
  await expect(page.locator('form[data-configurator="local"]')).toBeAttached();
  expect(rulesLoaded).toHaveLength(1);
  expect(rulesLoaded[0]).toMatch(/\.bin$/);

  const unavailable = page.getByRole('list', { name: 'Unavailable Engine options' });
  await expect(unavailable).toContainText('Not available: V6 petrol — not possible with your choices.');
  const why = unavailable.getByRole('link', { name: 'Why is V6 petrol not available?' });
  await expectNoViolations(page, 'large range with a Why? link');

  // Asked, the browser's engine answers: the reason in the rule's words and the repair.
  const requests: string[] = [];
  // The browser itself looks at the favicon again when the URL changes; that is not the page.
  page.on('request', (request) => {
    if (!request.url().endsWith('/favicon.svg')) requests.push(request.url());
  });
  await why.focus();
  await page.keyboard.press('Enter');
  await expect(unavailable).toContainText('Not available: V6 petrol — ');
  await expect(unavailable).toContainText('The V6 comes with the automatic gearbox only.');
  await expect(why).toHaveCount(0);
  await expect(unavailable).toBeFocused();
  await expect(page.getByRole('status').filter({ hasText: 'The V6 comes with the automatic gearbox only.' })).toBeAttached();
  const fix = unavailable.getByRole('link', { name: 'Make available' });
  await expect(unavailable).toContainText('Change Gearbox to make this available');
  await fix.click();
  const preview = page.getByRole('group', { name: 'Make V6 petrol available' });
  await expect(preview).toContainText('Gearbox: Manual → Automatic');
  await preview.getByRole('button', { name: 'Apply these changes' }).click();
  await expect(page.getByLabel('Engine', { exact: true })).toHaveValue('v6');
  await expect(page.getByLabel('Gearbox', { exact: true })).toHaveValue('automatic');
  expect(requests, 'no request for the explanation or the change').toEqual([]);

  // Undone, the explanation is gone with the choices it was made for, to be asked again.
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(page.getByLabel('Gearbox', { exact: true })).toHaveValue('manual');
  await expect(page.getByLabel('Engine', { exact: true })).toHaveValue('petrol');
  await expect(unavailable.getByRole('link', { name: 'Why is V6 petrol not available?' })).toBeVisible();

  // Without JavaScript the same link asks the server, which explains that option.
  const context = await browser.newContext({ javaScriptEnabled: false, storageState: await page.context().storageState() });
  const noJs = await context.newPage();
  markNoJs(noJs);
  await noJs.goto(`/products/${slug}${MANUAL}`);
  await noJs.getByRole('link', { name: 'Why is V6 petrol not available?' }).click();
  await expect(noJs).toHaveURL(/why(\[|%5B)engine(\]|%5D)=v6/);
  const served = noJs.getByRole('list', { name: 'Unavailable Engine options' });
  await expect(served).toContainText('The V6 comes with the automatic gearbox only.');
  await expect(served.getByRole('link', { name: 'Make available' })).toBeVisible();
  await context.close();
});
