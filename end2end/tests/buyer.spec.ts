/*
 * Atelier in a real browser, as a person uses it: guest and registered buyers, card payment
 * through the fake Stripe, unavailable options, the cart, and the merchandiser advancing an
 * order. Run by scripts/test (phase f) or `npx playwright test` after a release build.
 *
 * ── UI contract these tests rely on (the app must match it) ──────────────────────────────────
 * Servers (playwright.config.ts starts both, fresh, on every run; never reused):
 *   shop        $CARGO_TARGET_DIR/release/server, cwd = repo root, http://127.0.0.1:3111, ready
 *               when GET /healthz answers 2xx. Env: LEPTOS_SITE_ADDR=127.0.0.1:3111
 *               LEPTOS_SITE_ROOT=target/site LEPTOS_OUTPUT_NAME=atelier
 *               SITE_URL=http://127.0.0.1:3111 DATABASE_URL=sqlite://<fresh tmp dir>/atelier.db
 *               (the file does not exist yet: the server creates it, migrates, loads the demo
 *               catalogue) STRIPE_SECRET_KEY=sk_test_e2e STRIPE_WEBHOOK_SECRET=whsec_e2e
 *               STRIPE_API_BASE=http://127.0.0.1:12111
 *               ATELIER_DEMO_MERCHANDISER_PASSWORD=merch-e2e-password RUST_LOG=warn.
 *   fake Stripe $CARGO_TARGET_DIR/release/fake-stripe, ready when GET
 *               http://127.0.0.1:12111/_test/health answers 2xx. Env:
 *               FAKE_STRIPE_ADDR=127.0.0.1:12111 FAKE_STRIPE_SECRET_KEY=sk_test_e2e
 *               FAKE_STRIPE_WEBHOOK_SECRET=whsec_e2e
 *               FAKE_STRIPE_WEBHOOK_URL=http://127.0.0.1:3111/webhooks/stripe.
 *               Its hosted page is http://127.0.0.1:12111/pay/... and shows the amount (e.g.
 *               "€1,234.00", "1,234.00" or "1234.00") and a button "Pay"; after it the browser
 *               lands on the shop's success URL /orders/{number} (the webhook may arrive just
 *               before or after: the test reloads until "Paid" is reached, up to 20 s).
 * Hydration: only islands hydrate. The product form carries data-configurator="server" until
 *   the engine runs in the browser, then data-configurator="local"; other pages load no wasm.
 * Home "/": each product is a link whose accessible name contains the product's name; the
 *   bicycle's name is "Made-to-order bicycle". Slugs: bicycle, workstation, standing-desk,
 *   keyboard (the last may be a simple product).
 * Product page /products/{slug}: <h1> = product name; inside <main>, one <select> per option
 *   group with a <label> = the group name (bicycle: 6+ groups, e.g. "Frame", "Drivetrain"),
 *   option values non-empty, option text = the option's name, optionally followed by " (…)".
 *   The group's own container (the largest element holding that select and no other select)
 *   also lists its unavailable options, each an element whose text starts
 *   "Not available: <option name> — <reason>" and that holds a button or link
 *   "Make available" (the option may be absent from the select until then); with JS it first
 *   shows a group "Make <option> available" listing "<Group>: <from> → <to>" per change and
 *   "New price: €…", applied by "Apply these changes"; "Undo" goes back one change. At least one of
 *   the products bicycle, workstation, standing-desk, keyboard (searched in that order) shows
 *   such a line with its default configuration. "Make available" makes that option the
 *   group's choice (changing others as the rules need) and its line disappears.
 *   Price: element data-testid="price", e.g. "€1,234.00", with aria-busy="true" or class
 *   "pending" while a recomputation is in flight (from the select's change event on).
 *   Changing, in "Frame" and "Drivetrain" (or the first groups offering a choice), the
 *   selection to the LAST option that is enabled and not listed as unavailable must change
 *   the price. Without JS: a submit button "Update price" re-renders the page with the chosen
 *   options, their price and the availability they leave. Button "Add to cart" → /cart.
 * Cart /cart: each line is an <li> or <tr> containing the product name, a number input labelled
 *   "Quantity", buttons "Update" and "Remove". data-testid="cart-total" = sum of line totals (no
 *   shipping): 1 × the product page price, 2 × after "Update" to quantity 2. A link or button
 *   "Checkout" → /checkout. A removed line disappears.
 * Checkout /checkout: inputs labelled "Email" (may be read-only with the account's address when
 *   logged in), "Full name", "Address", "City", "Postal code"; <select> "Country" with ISO code
 *   values (DE, FR, NL, GB, US, …); radios "Invoice" and "Card" (Card shown here since Stripe is
 *   configured); button "Place order". Invoice → /orders/{number}; Card → the fake Stripe page.
 * Confirmation /orders/{number}: text "Order number: ABCD-EFGH" (8 characters from
 *   23456789ABCDEFGHJKLMNPQRSTUVWXYZ, hyphen after 4); <ol aria-label="Status timeline"> whose
 *   reached steps are <li data-reached="true"> with the step's text: Placed, Paid,
 *   In production, Shipped, Delivered (or Cancelled); unreached steps have no
 *   data-reached="true". A new invoice order has exactly Placed reached.
 * Lookup /orders/lookup: inputs "Order number" and "Email", button "Find order"; success shows
 *   the number and the timeline; wrong email or wrong number shows "We could not find an order
 *   with that number and email." (the rate limit must allow a few failures per client: this
 *   whole suite makes 2 failed lookups from 127.0.0.1).
 * /register: "Full name", "Email", "Password", button "Create account"; afterwards logged in.
 * /login: "Email", "Password", button "Log in". Logged in, the landing page (/account, or
 *   /admin/orders for a merchandiser) shows
 *   "Hello, <first name>" and a button "Log out".
 * /account: heading "Your orders"; each order shows its number, its status timeline and a
 *   button "Reorder", which refills the cart and lands on /cart.
 * /admin/orders (merchandiser; demo login merchandiser@atelier.test with the password from
 *   ATELIER_DEMO_MERCHANDISER_PASSWORD): a table, one <tr> per order with number, email, status
 *   and a button "Advance to <next status>" (e.g. "Advance to In production"); after it the row
 *   shows the new status and no longer offers that same button; the buyer's lookup shows the
 *   step reached.
 * Stock: the demo catalogue's default configurations have stock for at least 10 orders, so a
 *   run (about 6 orders) never sells out.
 * ─────────────────────────────────────────────────────────────────────────────────────────────
 */
import { type Browser, expect, test } from '@playwright/test';
import {
  addToCart,
  amountSpellings,
  cartLine,
  changeTwoOptions,
  checkout,
  expectReached,
  logIn,
  lookUpOrder,
  minorUnits,
  openProduct,
  openProductFromHome,
  placeOrderAndReadNumber,
  priceLocator,
  priceUpdated,
  reachedStep,
  readOrderNumber,
  readPrice,
  settled,
  timeline,
  uniqueEmail,
} from './helpers';
import { SHOP_URL, STRIPE_URL } from './ports';

const BICYCLE = 'Made-to-order bicycle';
const NOT_FOUND = 'We could not find an order with that number and email.';

test('a guest configures a bicycle, checks out by invoice and finds the order', async ({ page }) => {
  await openProductFromHome(page, BICYCLE);

  const priceBefore = await priceLocator(page).innerText();
  await changeTwoOptions(page, ['Frame', 'Drivetrain']);
  await expect(priceLocator(page)).not.toHaveText(priceBefore);
  const configured = await readPrice(page);

  await addToCart(page, BICYCLE);
  await expect(page.getByTestId('cart-total')).toHaveText(/\d/);
  expect(minorUnits(await page.getByTestId('cart-total').innerText())).toBe(configured);

  const email = uniqueEmail('guest');
  await checkout(page, { email, fullName: 'Greta Guest' }, 'Invoice');
  const number = await placeOrderAndReadNumber(page);
  await expectReached(timeline(page), ['Placed']);

  await lookUpOrder(page, number, email);
  await expect(page.getByText(number).first()).toBeVisible();
  await expectReached(timeline(page), ['Placed']);

  // A wrong email and a wrong number give the same answer.
  await lookUpOrder(page, number, uniqueEmail('stranger'));
  await expect(page.getByText(NOT_FOUND)).toBeVisible();
  await expect(timeline(page)).toHaveCount(0);
  const otherNumber = number.startsWith('2222') ? '3333-3333' : '2222-2222';
  await lookUpOrder(page, otherNumber, email);
  await expect(page.getByText(NOT_FOUND)).toBeVisible();
});

test('a registered buyer sees the order in the account and reorders it', async ({ page }) => {
  const email = uniqueEmail('buyer');
  await page.goto('/register');
  await settled(page);
  await page.getByLabel('Full name', { exact: true }).fill('Bruno Buyer');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill('a long enough passphrase 42');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText('Hello, Bruno').first()).toBeVisible();
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();

  const product = await openProduct(page, 'workstation');
  await addToCart(page, product);
  await checkout(page, { email, fullName: 'Bruno Buyer', city: 'Paris', postalCode: '75011', country: 'FR' }, 'Invoice');
  const number = await placeOrderAndReadNumber(page);

  await page.goto('/account');
  await settled(page);
  await expect(page.getByRole('heading', { name: 'Your orders' })).toBeVisible();
  await expect(page.getByText(number).first()).toBeVisible();
  await expectReached(timeline(page).first(), ['Placed']);

  // The cart was emptied by the order: after "Reorder" it holds the product again.
  await page.getByRole('button', { name: 'Reorder' }).first().click();
  await expect(page).toHaveURL(/\/cart(\?|$)/);
  await expect(cartLine(page, product)).toHaveCount(1);
});

test('paying by card goes through Stripe and comes back paid', async ({ page }) => {
  const product = await openProduct(page, 'bicycle');
  expect(product).toBe(BICYCLE);
  await addToCart(page, product);
  const total = minorUnits(await page.getByTestId('cart-total').innerText());

  const email = uniqueEmail('card');
  await checkout(page, { email, fullName: 'Carla Card', city: 'Amsterdam', postalCode: '1012 AB', country: 'NL' }, 'Card');
  await page.getByRole('button', { name: 'Place order' }).click();

  await expect(page).toHaveURL(new RegExp(`^${STRIPE_URL.replace(/\./g, '\\.')}/pay/`));
  const body = page.locator('body');
  const [grouped, plain] = amountSpellings(total);
  await expect(body).toContainText(new RegExp(`${grouped.replace(/\./g, '\\.')}|${plain.replace(/\./g, '\\.')}`));
  await page.getByRole('button', { name: 'Pay' }).click();

  await expect(page).toHaveURL(new RegExp(`^${SHOP_URL.replace(/\./g, '\\.')}/orders/`));
  const number = await readOrderNumber(page);
  // The webhook may land just after the redirect: look again until the order shows paid.
  await expect(async () => {
    await page.reload();
    await expect(reachedStep(timeline(page), 'Paid')).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect(reachedStep(timeline(page), 'Placed')).toBeVisible();

  await lookUpOrder(page, number, email);
  await expect(reachedStep(timeline(page), 'Paid')).toBeVisible();
});

test('a card payment abandoned on Stripe can be paid later from the order page', async ({ page }) => {
  const product = await openProduct(page, 'bike-lock');
  await addToCart(page, product);
  const email = uniqueEmail('later');
  await checkout(page, { email, fullName: 'Lea Later', city: 'Vienna', postalCode: '1010', country: 'AT' }, 'Card');
  await page.getByRole('button', { name: 'Place order' }).click();
  await expect(page).toHaveURL(new RegExp(`^${STRIPE_URL.replace(/\./g, '\\.')}/pay/`));
  // The buyer changes their mind on Stripe's page: back at the shop, the order waits.
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page).toHaveURL(new RegExp(`^${SHOP_URL.replace(/\./g, '\\.')}/orders/`));
  await expect(page.getByRole('heading', { level: 1, name: 'Your order is waiting for payment' })).toBeVisible();
  await expect(page.getByText(/reserved until/)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Pay by invoice instead' })).toBeVisible();
  const number = await readOrderNumber(page);
  await page.getByRole('button', { name: 'Pay now' }).click();
  await expect(page).toHaveURL(new RegExp(`^${STRIPE_URL.replace(/\./g, '\\.')}/pay/`));
  await page.getByRole('button', { name: 'Pay' }).click();
  await expect(page).toHaveURL(new RegExp(`/orders/${number}`));
  await expect(async () => {
    await page.reload();
    await expect(reachedStep(timeline(page), 'Paid')).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect(page.getByRole('button', { name: 'Pay now' })).toHaveCount(0);
});

test('an unavailable option says why and can be made available', async ({ page }) => {
  const notAvailable = /^\s*Not available:\s*(.+?)\s+—\s+(\S.*)$/m;
  await openProduct(page, 'bicycle');
  // A sold-out option is listed with its reason, and nothing can make it available.
  await expect(page.getByText(/^\s*Not available: .+ — Out of stock/).first()).toBeVisible();

  // Rim brakes rule out what needs disc brakes; each such option says why and offers the fix.
  const brakes = page.getByLabel('Brakes', { exact: true });
  await brakes.selectOption('rim');
  await priceUpdated(page);
  await expect(brakes).toHaveValue('rim');
  const item = page
    .locator('li')
    .filter({ hasText: /^\s*Not available: / })
    .filter({ has: page.getByRole('link', { name: 'Make available' }) })
    .first();
  await expect(item).toBeVisible();
  const match = (await item.innerText()).match(notAvailable);
  expect(match, 'format "Not available: <option> — <reason>"').not.toBeNull();
  const option = match![1].trim();
  expect(match![2], 'the reason names the choice in the way').toContain('Rim calipers');

  // The line sits with its own group: the nearest container with a select holds only one.
  const group = item.locator('xpath=ancestor::*[.//select][1]');
  await expect(group.locator('select')).toHaveCount(1);
  // Locators are lazy and the page re-renders: hold on to the group by its label, not its place.
  const groupName = await group
    .locator('select')
    .evaluate((el) => ((el as HTMLSelectElement).labels?.[0]?.textContent ?? '').trim());
  expect(groupName).not.toBe('');
  const select = page.getByLabel(groupName, { exact: true });
  const priceBefore = await readPrice(page);
  await item.getByRole('link', { name: 'Make available' }).click();

  // First it shows exactly which of the buyer's choices change and the new price; nothing
  // changes until the buyer confirms.
  const preview = page.getByRole('group', { name: `Make ${option} available` });
  await expect(preview).toBeVisible();
  await expect(preview.getByRole('listitem').filter({ hasText: /^\s*Brakes: Rim calipers → / })).toHaveCount(1);
  await expect(preview.getByText(/^New price: €/)).toBeVisible();
  const previewPrice = minorUnits(await preview.getByText(/^New price: €/).innerText());
  await expect(brakes).toHaveValue('rim');
  expect(await readPrice(page)).toBe(priceBefore);
  await preview.getByRole('button', { name: 'Apply these changes' }).click();
  await priceUpdated(page);
  expect(await readPrice(page)).toBe(previewPrice);

  // The option is now the group's choice, the brakes changed to fit, and the line is gone.
  await expect
    .poll(() => select.evaluate((el) => (el as HTMLSelectElement).selectedOptions[0]?.textContent?.trim() ?? ''))
    .toMatch(new RegExp(`^${escapeRegExp(option)}(\\s|$)`));
  await expect(brakes).not.toHaveValue('rim');
  await expect(page.getByText(new RegExp(`^\\s*Not available: ${escapeRegExp(option)}\\s+—`))).toHaveCount(0);
  await expect(priceLocator(page)).toHaveText(/\d/);
  await expect(page.getByRole('button', { name: 'Add to cart' })).toBeEnabled();

  // "Undo" goes back one change: rim brakes again, the option unavailable again.
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(brakes).toHaveValue('rim');
  expect(await readPrice(page)).toBe(priceBefore);
  await expect(page.getByText(new RegExp(`^\\s*Not available: ${escapeRegExp(option)}\\s+—`))).toHaveCount(1);
});

test('the cart changes quantity and removes a line', async ({ page }) => {
  await openProduct(page, 'bicycle');
  await addToCart(page, BICYCLE);
  const total = page.getByTestId('cart-total');
  const one = minorUnits(await total.innerText());
  expect(one).toBeGreaterThan(0);

  const line = cartLine(page, BICYCLE);
  await line.getByLabel('Quantity').fill('2');
  await line.getByRole('button', { name: 'Update' }).click();
  await expect.poll(async () => minorUnits(await total.innerText())).toBe(2 * one);
  await expect(line.getByLabel('Quantity')).toHaveValue('2');

  await line.getByRole('button', { name: 'Remove' }).click();
  await expect(cartLine(page, BICYCLE)).toHaveCount(0);
});

test('a merchandiser advances an order and the buyer sees the new step', async ({ page, browser }) => {
  const product = await openProduct(page, 'standing-desk');
  await addToCart(page, product);
  const email = uniqueEmail('advance');
  await checkout(page, { email, fullName: 'Dora Desk', city: 'London', postalCode: 'N1 9GU', country: 'GB' }, 'Invoice');
  const number = await placeOrderAndReadNumber(page);

  const next = await advanceAsMerchandiser(browser, number, email);

  await lookUpOrder(page, number, email);
  await expect(reachedStep(timeline(page), next)).toBeVisible();
  await expect(reachedStep(timeline(page), 'Placed')).toBeVisible();
});

/** In its own browser context: log in as the demo merchandiser and advance the order one step. */
async function advanceAsMerchandiser(browser: Browser, number: string, email: string): Promise<string> {
  const context = await browser.newContext({ baseURL: SHOP_URL });
  try {
    const merch = await context.newPage();
    await logIn(merch, 'merchandiser@atelier.test', 'merch-e2e-password');
    await merch.goto('/admin/orders');
    await settled(merch);
    const row = merch.getByRole('row').filter({ hasText: number });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText(email);
    const advance = row.getByRole('button', { name: /^Advance to / });
    const next = ((await advance.innerText()).match(/Advance to\s+(.+)/)?.[1] ?? '').trim();
    expect(['Paid', 'In production', 'Shipped', 'Delivered', 'Cancelled'], 'the button names the next status').toContain(next);
    await advance.click();
    await expect(row.getByRole('button', { name: `Advance to ${next}`, exact: true })).toHaveCount(0);
    await expect(row).toContainText(next);
    return next;
  } finally {
    await context.close();
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
