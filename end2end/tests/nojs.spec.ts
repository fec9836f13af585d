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
