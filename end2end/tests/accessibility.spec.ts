/*
 * axe-core (WCAG 2.0–2.2 A and AA rules) on every kind of page a buyer sees, in the state a person
 * leaves it in: the product page live in the browser, with an unavailable option and a "Make
 * available" preview open; a saved configuration; a comparison; the cart, checkout and an order.
 */
import { expect, test } from '@playwright/test';
import { addToCart, checkout, expectNoViolations, openProduct, placeOrderAndReadNumber, settled, uniqueEmail } from './helpers';

test('every page a buyer sees passes axe-core WCAG 2.2 AA', async ({ page }) => {
  for (const path of ['/', '/login', '/register', '/orders/lookup', '/cart', '/no-such-page']) {
    await page.goto(path);
    await settled(page);
    await expectNoViolations(page, path);
  }

  await openProduct(page, 'bicycle');
  await page.getByLabel('Brakes', { exact: true }).selectOption('rim');
  await page.getByRole('link', { name: 'Make available' }).first().click();
  await expect(page.getByRole('button', { name: 'Apply these changes' })).toBeVisible();
  await expectNoViolations(page, 'product page with a preview open');

  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(/\/c\//);
  await expectNoViolations(page, 'saved configuration');
  await page.getByRole('link', { name: 'Compare' }).click();
  await expect(page.getByRole('heading', { name: 'Compare configurations' })).toBeVisible();
  await expectNoViolations(page, 'comparison');

  await openProduct(page, 'workstation');
  await addToCart(page, 'Workstation');
  await expectNoViolations(page, 'cart');
  await checkout(page, { email: uniqueEmail('axe'), fullName: 'Ada Axe' }, 'Invoice');
  await expectNoViolations(page, 'checkout');
  await placeOrderAndReadNumber(page);
  await expectNoViolations(page, 'order');
});
