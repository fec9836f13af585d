/*
 * The merchandiser's rule console in a real browser: the engine checks the rules in the
 * browser as they are edited (no request), a draft is saved with its effect, a test
 * configuration blocks publishing until removed, the published rules reach the shop, and
 * rolling back brings the old ones back. Uses the keyboard, whose rules it leaves as it found
 * them (a rollback is a new version with the same rules). axe-core checks the editor and the log.
 */
import { expect, test } from '@playwright/test';
import { addToCart, checkout, expectNoViolations, logIn, minorUnits, placeOrderAndReadNumber, readPrice, settled, uniqueEmail } from './helpers';
import { SHOP_URL } from './ports';

const RULES = '/admin/products/keyboard/rules';

/** The rules in the editor with a rule that no walnut case can be chosen, and the 65 % layout
 * €10 dearer. */
function withoutWalnut(json: string): string {
  const rules = JSON.parse(json);
  rules.rules.push({ kind: 'excludes', id: 'no-walnut', all: [{ group: 'case', any_of: ['walnut'] }], message: 'Walnut is out of season.' });
  const layout = rules.groups.find((g: { id: string }) => g.id === 'layout');
  layout.options.find((o: { id: string }) => o.id === '65').price += 1000;
  return JSON.stringify(rules, null, 2);
}

test('a merchandiser edits, checks, tests, publishes and rolls back a product\'s rules', async ({ page, browser }) => {
  test.setTimeout(120_000);
  // A buyer, in a browser of their own, puts a 65 % keyboard in the cart on today's rules.
  const buyer = await (await browser.newContext({ baseURL: SHOP_URL })).newPage();
  await buyer.goto('/products/keyboard?configuration%5Blayout%5D=65');
  await settled(buyer);
  const seen = await readPrice(buyer);
  await addToCart(buyer, 'Custom keyboard');

  await logIn(page, 'merchandiser@atelier.test', 'merch-e2e-password');
  await page.goto('/admin/products');
  await page.getByRole('link', { name: 'Custom keyboard' }).click();
  await expect(page).toHaveURL(new RegExp(`${RULES}$`));
  await settled(page);

  await expect(page.locator('form.rule-editor[data-editor="live"]')).toBeAttached();
  const editor = page.getByLabel('Rule set (JSON)');
  const check = page.locator('#rule-check');
  const original = await editor.inputValue();
  await expect(check.getByTestId('check-summary')).toContainText(/^\d[\d,]* valid configurations/);
  const before = (await check.getByTestId('check-summary').innerText()).split(' ')[0];
  await expect(check.getByTestId('dead-options')).toHaveCount(0);

  // The check follows the text in the browser, with no request.
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  await editor.fill(withoutWalnut(original));
  await expect(check.getByTestId('dead-options')).toContainText('Walnut wood frame can never be chosen (rules: no-walnut)');
  await expect(check).toHaveAttribute('data-checked', 'browser');
  const after = (await check.getByTestId('check-summary').innerText()).split(' ')[0];
  expect(Number(after.replace(/,/g, ''))).toBeLessThan(Number(before.replace(/,/g, '')));
  await editor.fill(original);
  await expect(check.getByTestId('dead-options')).toHaveCount(0);
  await expect(check.getByTestId('check-summary')).toContainText(`${before} valid configurations`);
  await editor.fill('{ "groups": [');
  await expect(check.getByTestId('check-error')).toContainText('not a rule set the shop can read');
  expect(requests, 'no request while editing').toEqual([]);

  // Saved as a draft: the server's check and the draft's effect against the published rules.
  await editor.fill(withoutWalnut(original));
  await page.getByRole('button', { name: 'Save draft' }).click();
  await settled(page);
  const effect = page.getByTestId('draft-effect');
  await expect(effect).toContainText('no-walnut');
  await expect(effect).toContainText('Walnut wood frame can never be chosen');
  await expect(page.getByRole('heading', { name: /^Draft \(revision 1\)/ })).toBeVisible();

  // A test configuration the draft breaks blocks publishing.
  await page.getByLabel('Name', { exact: true }).fill('Walnut sixty-five');
  await page.getByLabel(/^Choices, one/).fill('layout: 65\ncase: walnut');
  await page.getByRole('button', { name: 'Add test configuration' }).click();
  await settled(page);
  const row = page.getByRole('row').filter({ hasText: 'Walnut sixty-five' });
  await expect(row.getByTestId('test-outcome')).toHaveText(/^Fails: no longer possible/);
  await expect(page.getByText('Test configuration “Walnut sixty-five” fails')).toBeVisible();
  const publish = page.getByRole('button', { name: /^Publish as version \d+$/ });
  await expect(publish).toBeDisabled();
  await expectNoViolations(page, 'rule editor with a draft blocked by a test configuration');
  await row.getByRole('button', { name: 'Remove Walnut sixty-five' }).click();
  await settled(page);
  await expect(page.getByText('Ready to publish.')).toBeVisible();
  const label = await publish.innerText();
  const published = Number(label.match(/(\d+)$/)![1]);
  await publish.click();
  await settled(page);
  await expect(page.getByText(`Version ${published} is published.`)).toBeVisible();

  // The shop sells the new rules: walnut is not available, with the rule's message.
  const shop = await page.context().newPage();
  await shop.goto('/products/keyboard?configuration%5Blayout%5D=65');
  await expect(shop.getByText('Not available: Walnut wood frame — Never available (Walnut is out of season.)')).toBeAttached();

  // The buyer's cart, made on the old version, says what changed; the order is placed only
  // once they have been told, at the new price.
  await checkout(buyer, { email: uniqueEmail('stale-cart'), fullName: 'Kim Keys' }, 'Invoice');
  const changed = `The options for Custom keyboard changed since you added it: it now costs €`;
  await expect(buyer.getByText(changed)).toBeVisible();
  await buyer.getByRole('button', { name: 'Place order' }).click();
  const refusal = buyer.getByRole('alert').filter({ hasText: 'Nothing was ordered' });
  await expect(refusal).toContainText(changed);
  const now = minorUnits(((await refusal.innerText()).match(/now costs (€[\d,]+\.\d\d)/))![1]);
  expect(now).toBe(seen + 1000);
  await buyer.goto('/cart');
  await checkout(buyer, { email: uniqueEmail('stale-cart'), fullName: 'Kim Keys' }, 'Invoice');
  await placeOrderAndReadNumber(buyer);

  // Rolling back publishes the previous rules as a new version.
  await page.getByRole('button', { name: `Roll back to version ${published - 1}` }).click();
  await settled(page);
  await expect(page.getByText(`Version ${published + 1} is published.`)).toBeVisible();
  await expect(page.getByLabel('Rule set (JSON)')).toHaveValue(original);
  await shop.goto('/products/keyboard?configuration%5Blayout%5D=65');
  await expect(shop.getByText('Not available: Walnut wood frame')).toHaveCount(0);
  await expect(shop.getByLabel('Case', { exact: true }).locator('option[value="walnut"]')).not.toHaveAttribute('hidden', /.*/);

  // Every change is in the audit log.
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Audit log' }).click();
  await settled(page);
  await expectNoViolations(page, 'audit log');
  for (const action of ['draft saved', 'test configuration keyboard: added', 'test configuration keyboard: removed', `published version ${published} (from the draft)`, `published version ${published + 1} (roll back to version ${published - 1})`]) {
    await expect(page.getByRole('cell', { name: new RegExp(action.replace(/[()]/g, '\\$&')) }).first()).toBeVisible();
  }
});

test('a merchandiser sees what needs attention and edits stock in place', async ({ page }) => {
  await logIn(page, 'merchandiser@atelier.test', 'merch-e2e-password');
  await page.goto('/admin');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('What needs attention');
  await expectNoViolations(page, 'console home');
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Stock' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Stock');
  await expectNoViolations(page, 'stock screen');

  // The first row: set it to zero, then it is listed under "Sold out"; set it back.
  const row = page.locator('table.stock-table tbody tr').first();
  const product = (await row.getByRole('rowheader').innerText()).trim();
  const option = (await row.locator('td').first().innerText()).trim();
  const left = (await row.getByTestId('left').innerText()).trim();
  const level = row.getByLabel(/^New level for /);
  await level.fill('0');
  await row.getByRole('button', { name: /^Save/ }).click();
  await page.getByRole('navigation', { name: 'Show' }).getByRole('link', { name: 'Sold out' }).click();
  await expect(page).toHaveURL(/filter=sold-out/);
  const soldOut = page.locator('table.stock-table tbody tr').filter({ hasText: product }).filter({ hasText: option });
  await expect(soldOut.getByTestId('left')).toHaveText('Sold out');
  await soldOut.getByLabel(/^New level for /).fill(left === 'Sold out' ? '0' : left);
  await soldOut.getByRole('button', { name: /^Save/ }).click();
  await page.getByRole('navigation', { name: 'Show' }).getByRole('link', { name: 'All' }).click();
  const back = page.locator('table.stock-table tbody tr').filter({ hasText: product }).filter({ hasText: option }).first();
  await expect(back.getByTestId('left')).toHaveText(left);
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByRole('cell', { name: /^stock .*: level set$/ }).first()).toBeVisible();
});
