/*
 * The console's catalogue in a real browser, as a merchandiser: create a configurable product
 * (it starts hidden), upload its image (an SVG with a script is refused), give it three option
 * groups and two rules while the engine's live check follows in the browser (the count, and a
 * dead option appearing and going away), add a test configuration, publish, show it in the
 * shop and see a buyer get the new rules; then roll back. axe-core checks both console pages.
 */
import { expect, test } from '@playwright/test';
import { expectNoViolations, logIn, settled } from './helpers';
import { SHOP_URL } from './ports';

/** A real 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

const option = (id: string, name: string, price: number) => ({ id, name, price });

/** Three groups of two options, a rule that a long arm needs the brass shade and one that a
 * daylight bulb does not go with linen; `daylightNever` turns the second into "never". */
function lampRules(daylightNever: boolean): string {
  return JSON.stringify({
    version: 1,
    groups: [
      { id: 'shade', name: 'Shade', options: [option('linen', 'Linen shade', 0), option('brass', 'Brass shade', 3500)] },
      { id: 'arm', name: 'Arm', options: [option('short', 'Short arm', 0), option('long', 'Long arm', 2000)] },
      { id: 'bulb', name: 'Bulb', options: [option('warm', 'Warm bulb', 0), option('daylight', 'Daylight bulb', 900)] },
    ],
    rules: [
      { kind: 'requires', id: 'long-arm-brass', when: [{ group: 'arm', any_of: ['long'] }], then: { group: 'shade', any_of: ['brass'] }, message: 'The long arm needs the heavier brass shade.' },
      {
        kind: 'excludes',
        id: 'no-daylight-linen',
        all: daylightNever
          ? [{ group: 'bulb', any_of: ['daylight'] }]
          : [{ group: 'bulb', any_of: ['daylight'] }, { group: 'shade', any_of: ['linen'] }],
        message: 'Daylight bulbs scorch linen.',
      },
    ],
  }, null, 2);
}

test('a merchandiser creates a configurable product, gives it an image and rules, and puts it on sale', async ({ page, browser }) => {
  test.setTimeout(120_000);
  const name = `Reading lamp ${Date.now().toString(36)}`;
  const slug = name.toLowerCase().replace(/ /g, '-');
  await logIn(page, 'merchandiser@atelier.test', 'merch-e2e-password');
  await page.goto('/admin');
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Catalogue' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Catalogue');
  await expectNoViolations(page, 'console catalogue');

  // A wrong price is named beside its field, and nothing typed is lost.
  const form = page.getByRole('region', { name: 'New product' });
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Category').selectOption({ label: 'Accessories' });
  await form.getByRole('radio', { name: /^Configurable/ }).check();
  await form.getByLabel('Base price (€)').fill('eighty');
  await form.getByLabel('Summary').fill('Turned ash, for the bedside.');
  await form.getByRole('button', { name: 'Create product' }).click();
  await expect(page.getByText('Enter a price in euros, such as 120 or 120.50.').first()).toBeVisible();
  const again = page.getByRole('region', { name: 'New product' });
  await expect(again.getByLabel('Name')).toHaveValue(name);
  await expect(again.getByLabel('Summary')).toHaveValue('Turned ash, for the bedside.');
  await again.getByLabel('Base price (€)').fill('89.00');
  await again.getByRole('button', { name: 'Create product' }).click();

  // Its page in the console: hidden until shown.
  await expect(page).toHaveURL(new RegExp(`/admin/catalogue/${slug}$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
  await expect(page.getByTestId('product-status')).toHaveText('Hidden from buyers.');
  await expectNoViolations(page, 'console product page');
  const buyer = await (await browser.newContext({ baseURL: SHOP_URL })).newPage();
  expect((await buyer.goto(`/products/${slug}`))!.status()).toBe(404);

  // An SVG that carries a script is refused; a PNG is kept and shown.
  await page.getByLabel('New image').setInputFiles({ name: 'lamp.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>') });
  await page.getByRole('button', { name: 'Upload image' }).click();
  await expect(page.getByRole('alert')).toContainText('That SVG contains scripts');
  await page.getByLabel('New image').setInputFiles({ name: 'lamp.png', mimeType: 'image/png', buffer: PNG });
  await page.getByRole('button', { name: 'Upload image' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The new image is saved' })).toBeVisible();
  const image = await page.getByRole('img', { name: `The image of ${name} now` }).getAttribute('src');
  expect(image).toMatch(/^\/images\/u\/[0-9a-f]{32}\.png$/);

  // Its rules: the live check counts configurations and names the dead option as the text changes.
  await page.getByRole('link', { name: 'Edit rules' }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/products/${slug}/rules$`));
  await settled(page);
  await expect(page.locator('form.rule-editor[data-editor="live"]')).toBeAttached();
  const editor = page.getByLabel('Rule set (JSON)');
  const check = page.locator('#rule-check');
  await editor.fill(lampRules(false));
  await expect(check.getByTestId('check-summary')).toContainText(/^5 valid configurations/);
  await expect(check.getByTestId('dead-options')).toHaveCount(0);
  await editor.fill(lampRules(true));
  await expect(check.getByTestId('check-summary')).toContainText(/^3 valid configurations/);
  await expect(check.getByTestId('dead-options')).toContainText('Daylight bulb can never be chosen (rules: no-daylight-linen)');
  await editor.fill(lampRules(false));
  await expect(check.getByTestId('dead-options')).toHaveCount(0);
  await page.getByRole('button', { name: 'Save draft' }).click();
  await settled(page);
  await expect(page.getByRole('heading', { name: /^Draft \(revision 1\)/ })).toBeVisible();

  // A configuration that must stay valid, then publish.
  await page.getByLabel('Name', { exact: true }).fill('Bedside classic');
  await page.getByLabel(/^Choices, one/).fill('shade: brass\narm: long\nbulb: daylight');
  await page.getByRole('button', { name: 'Add test configuration' }).click();
  await settled(page);
  await expect(page.getByRole('row').filter({ hasText: 'Bedside classic' }).getByTestId('test-outcome')).toHaveText(/^Passes/);
  await page.getByRole('button', { name: 'Publish as version 2' }).click();
  await settled(page);
  await expect(page.getByText('Version 2 is published.')).toBeVisible();

  // On sale: the buyer finds it on the home page with its image, and the rules hold.
  await page.goto(`/admin/catalogue/${slug}`);
  await page.getByRole('button', { name: 'Show in shop' }).click();
  await expect(page.getByTestId('product-status')).toHaveText('On sale in the shop.');
  await buyer.goto('/');
  const card = buyer.getByRole('link', { name: new RegExp(name) }).first();
  await expect(buyer.locator(`img[src="${image}"]`)).toBeAttached();
  await card.click();
  await expect(buyer).toHaveURL(new RegExp(`/products/${slug}`));
  await settled(buyer);
  await expect(buyer.getByLabel('Shade', { exact: true })).toBeVisible();
  await buyer.getByLabel('Arm', { exact: true }).selectOption('long');
  await expect(buyer.getByText(/^Not available: Linen shade/).first()).toBeAttached();

  // Rolled back: version 1 (no options) serves again as version 3.
  await page.goto(`/admin/products/${slug}/rules`);
  await page.getByRole('button', { name: 'Roll back to version 1' }).click();
  await settled(page);
  await expect(page.getByText('Version 3 is published.')).toBeVisible();
  await buyer.goto(`/products/${slug}`);
  await expect(buyer.getByLabel('Arm', { exact: true })).toHaveCount(0);

  // Every step is in the audit log.
  await page.goto('/admin/audit');
  for (const action of [`product ${slug}: created (hidden)`, `product ${slug}: image uploaded`, `product ${slug}: shown`, `rules ${slug}: published version 2`]) {
    await expect(page.getByRole('cell', { name: new RegExp(`^${action.replace(/[()]/g, '\\$&')}`) }).first()).toBeVisible();
  }
});
