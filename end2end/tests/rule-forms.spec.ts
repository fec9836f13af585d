/*
 * The bicycle's rules edited in forms, in a real browser, as a merchandiser: a new group with
 * its options, an excludes rule written with the options' names (the count of valid
 * configurations drops and the rule reads as a sentence), a mistake named beside its field with
 * what was typed kept, the open form checked in the browser as it is typed (the typo named, then
 * the count saving would give, which the server's check after saving matches), a price changed, and the draft's effect on the rules page. The draft is
 * discarded at the end, so the bicycle is left as it was. axe-core checks the page with a form open.
 */
import { expect, test } from '@playwright/test';
import { expectNoViolations, logIn } from './helpers';

const FORMS = '/admin/products/bicycle/rules/edit';

/** The number of valid configurations a check reports: the draft's (the page's) by default. */
async function validCount(page: import('@playwright/test').Page, check = page.locator('#check')): Promise<bigint> {
  const summary = await check.getByTestId('check-summary').innerText();
  const match = summary.match(/^(\d+) valid configurations/);
  expect(match, summary).not.toBeNull();
  return BigInt(match![1]);
}

test('a merchandiser edits a product\'s groups, options and rules in forms', async ({ page }) => {
  test.setTimeout(90_000);
  await logIn(page, 'merchandiser@atelier.test', 'merch-e2e-password');
  await page.goto('/admin/products/bicycle/rules');
  await page.getByRole('link', { name: 'Edit groups, options and rules in forms' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Rules in forms: Made-to-order bicycle');
  const before = await validCount(page);
  await expect(page.getByRole('cell', { name: 'When Frame is Carbon race, Brakes must be Hydraulic disc.' })).toBeVisible();

  // A group of two options, the first with a price. The live check loads the console's own
  // chunk of wasm (the product pages never do) and makes the group's id from its name in the
  // browser, accents dropped as on the server.
  const wasm: string[] = [];
  page.on('response', (response) => {
    const { pathname } = new URL(response.url());
    if (pathname.endsWith('.wasm')) wasm.push(pathname);
  });
  await page.getByRole('link', { name: 'Add a group' }).click();
  const groupForm = page.getByRole('region', { name: 'New group' });
  await expect(page.locator('[data-form-check="live"]')).toHaveCount(1);
  expect(wasm.some((p) => /^\/pkg\/split_check_form_[^/]+\.wasm$/.test(p)), wasm.join(', ')).toBe(true);
  await groupForm.getByLabel('Its options, one per line').fill('Brass bell = 12.50\nChrome bell');
  await groupForm.getByLabel('Name').fill('Sonnette dorée');
  await expect(page.getByTestId('form-check')).toContainText('Change: group “Sonnette dorée” (sonnette-doree) added.');
  await groupForm.getByLabel('Name').fill('Bell');
  await expect(page.getByTestId('form-check')).toContainText('Change: group “Bell” (bell) added.');
  await groupForm.getByLabel('Its options, one per line').fill('Brass bell = 12.50\nChrome bell');
  await groupForm.getByRole('button', { name: 'Add the group' }).click();
  await expect(page.getByText('Saved in the draft.')).toBeVisible();
  const withBell = await validCount(page);
  expect(withBell).toBe(before * 2n);
  const bell = page.getByRole('region', { name: /^Bell/ });
  await expect(bell.getByRole('row', { name: /Brass bell brass-bell €12\.50/ })).toBeVisible();

  // An excludes rule by names; a typo first, named beside its field, with the text kept.
  await page.getByRole('link', { name: 'Excludes rule' }).click();
  const ruleForm = page.getByRole('region', { name: 'New excludes rule' });
  // Checked in the browser as it is typed: the typo is named before anything is sent.
  await expect(page.locator('[data-form-check="live"]')).toHaveCount(1);
  await ruleForm.getByLabel('Never all of these together').fill('Frame: Carbon race\nBell: Brass bel');
  const live = page.getByTestId('form-check');
  await expect(live).toContainText('Not a change the draft can take yet');
  await expect(live).toContainText('Condition 2: “Brass bel” is not an option of Bell');
  await ruleForm.getByLabel(/What buyers are told/).fill('Race frames have no room for the brass bell.');
  await ruleForm.getByRole('button', { name: 'Add the rule' }).click();
  const again = page.getByRole('region', { name: 'New excludes rule' });
  await expect(again.getByText('Condition 2: “Brass bel” is not an option of Bell (its options: Brass bell, Chrome bell).').first()).toBeVisible();
  await expect(again.getByLabel('Never all of these together')).toHaveValue('Frame: Carbon race\nBell: Brass bel');
  await expect(again.getByLabel('Never all of these together')).toHaveAttribute('aria-invalid', 'true');
  await expectNoViolations(page, 'rule form with a refused condition');
  // Corrected, the live check shows what saving would do, with no request while typing.
  await expect(page.locator('[data-form-check="live"]')).toHaveCount(1);
  const requests: string[] = [];
  const record = (request: import('@playwright/test').Request) => { requests.push(request.url()); };
  page.on('request', record);
  await again.getByLabel('Never all of these together').fill('Frame: Carbon race\nBell: Brass bell');
  const liveAgain = page.getByTestId('form-check');
  await expect(liveAgain).toContainText('If you save this form');
  await expect(liveAgain).toContainText(`Fewer than the draft has now (${withBell}).`);
  const ifSaved = await validCount(page, liveAgain);
  page.off('request', record);
  expect(requests).toEqual([]);
  expect(ifSaved < withBell && ifSaved > withBell / 2n).toBe(true);
  await again.getByRole('button', { name: 'Add the rule' }).click();
  await expect(page.getByText('Saved in the draft.')).toBeVisible();
  // The server's check of the saved draft is the one the browser showed.
  const withRule = await validCount(page);
  expect(withRule).toBe(ifSaved);
  await expect(page.getByRole('cell', { name: 'Never together: Frame is Carbon race and Bell is Brass bell.' })).toBeVisible();

  // The option's price, lead time and weight.
  await page.getByRole('link', { name: 'Edit option Brass bell of Bell' }).click();
  const optionForm = page.getByRole('region', { name: 'Option of Bell: Brass bell' });
  await expect(optionForm.getByLabel('Price (€)')).toHaveValue('12.50');
  await optionForm.getByLabel('Price (€)').fill('14.00');
  await optionForm.getByLabel('Lead time (working days)').fill('3');
  await optionForm.getByLabel('Attributes, one per line').fill('weight_g = 90');
  await optionForm.getByRole('button', { name: 'Save the option' }).click();
  await expect(page.getByRole('region', { name: /^Bell/ }).getByRole('row', { name: /Brass bell brass-bell €14\.00 3 working days weight_g = 90/ })).toBeVisible();

  // An option a rule names is not removed; the reason says which rule.
  await page.getByRole('button', { name: 'Remove option Brass bell of Bell' }).click();
  await expect(page.getByRole('alert')).toContainText('Bell: Brass bell is named by rule excludes; change or remove it first.');

  // The rules page shows the draft's effect against the published rules; then it is discarded.
  await page.getByRole('link', { name: /Review the draft's effect/ }).click();
  const effect = page.getByTestId('draft-effect');
  await expect(effect).toContainText('Rules added:');
  await expect(effect).toContainText('excludes');
  await page.getByRole('button', { name: 'Discard the draft' }).click();
  await expect(page.getByTestId('draft-effect')).toHaveCount(0);
  await page.goto(FORMS);
  expect(await validCount(page)).toBe(before);
});
