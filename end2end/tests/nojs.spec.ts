/*
 * The whole guest path with JavaScript disabled: every step is a form that posts to the server,
 * which answers with the next page. The UI contract is the one at the top of buyer.spec.ts;
 * without JS the product page needs a submit button "Update price" that re-renders the page with
 * the chosen options, their price and the availability they leave.
 */
import { expect, test } from '@playwright/test';
import {
  addToCart,
  changeTwoOptions,
  checkout,
  expectReached,
  lookUpOrder,
  markNoJs,
  minorUnits,
  openProductFromHome,
  placeOrderAndReadNumber,
  readPrice,
  timeline,
  uniqueEmail,
} from './helpers';

const BICYCLE = 'Made-to-order bicycle';

test.use({ javaScriptEnabled: false });

test('without JavaScript a guest configures, orders by invoice and gets an order number', async ({ page }) => {
  markNoJs(page);
  await openProductFromHome(page, BICYCLE);
  // Nothing hydrates: the page is the server's HTML alone.
  await expect(page.locator('body[data-hydrated]')).toHaveCount(0);

  const before = await readPrice(page);
  // Each change is followed by "Update price"; the server's page keeps the choice.
  await changeTwoOptions(page, ['Frame', 'Drivetrain']);
  const configured = await readPrice(page);
  expect(configured).not.toBe(before);

  await addToCart(page, BICYCLE);
  expect(minorUnits(await page.getByTestId('cart-total').innerText())).toBe(configured);

  const email = uniqueEmail('nojs');
  await checkout(page, { email, fullName: 'Nora NoScript' }, 'Invoice');
  const number = await placeOrderAndReadNumber(page);
  await expectReached(timeline(page), ['Placed']);

  await lookUpOrder(page, number, email);
  await expect(page.getByText(number).first()).toBeVisible();
  await expectReached(timeline(page), ['Placed']);
});

test('without JavaScript a checkout with a mistake comes back filled in, with no personal data in the URL', async ({ page }) => {
  markNoJs(page);
  await openProductFromHome(page, BICYCLE);
  await addToCart(page, BICYCLE);
  const email = uniqueEmail('typo').replace('@example.test', '@example');
  await checkout(page, { email, fullName: 'Tilda Typo', address: 'Geheimweg 7' }, 'Invoice');
  await page.getByRole('button', { name: 'Place order' }).click();
  await expect(page).toHaveURL(/\/checkout\?/);
  await expect(page.getByText('Enter an email address like name@example.com.').first()).toBeVisible();
  for (const privateText of ['Tilda', 'Typo', 'Geheimweg', encodeURIComponent(email), email]) {
    expect(page.url()).not.toContain(privateText);
  }
  await expect(page.getByLabel('Email', { exact: true })).toHaveValue(email);
  await expect(page.getByLabel('Full name', { exact: true })).toHaveValue('Tilda Typo');
  await expect(page.getByLabel('Address', { exact: true })).toHaveValue('Geheimweg 7');
  // Corrected, the same form places the order.
  await page.getByLabel('Email', { exact: true }).fill(uniqueEmail('fixed'));
  const number = await placeOrderAndReadNumber(page);
  expect(number).toMatch(/^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$/);
});
