// Steps a person takes in the shop, shared by the specs. Everything goes through roles, labels
// and visible text (see the UI contract at the top of buyer.spec.ts); nothing sleeps.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Locator, type Page } from '@playwright/test';

/** Order numbers: 8 characters from 23456789ABCDEFGHJKLMNPQRSTUVWXYZ, a hyphen after 4. */
export const ORDER_NUMBER = /Order number:\s*([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4})\b/;

export const STATUS_STEPS = ['Placed', 'Paid', 'In production', 'Shipped', 'Delivered', 'Cancelled'];

/** A unique address per test, so tests never see each other's orders or accounts. */
export function uniqueEmail(tag: string): string {
  const stamp = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  return `e2e-${tag}-${stamp}@example.test`;
}

/**
 * Waits until the page's islands are live. Only the product form is an island: it says
 * data-configurator="local" once the engine runs in the browser. Other pages are plain HTML.
 */
export async function waitForHydration(page: Page): Promise<void> {
  if ((await page.locator('form[data-configurator]').count()) > 0) {
    await expect(page.locator('form[data-configurator="local"]')).toBeAttached();
  }
}

const withoutJs = new WeakSet<Page>();

/** Marks a page whose context runs no JavaScript: nothing hydrates, forms post for real. */
export function markNoJs(page: Page): void {
  withoutJs.add(page);
}

/** Before a person acts on a freshly loaded page: wait for hydration unless JS is off. */
export async function settled(page: Page): Promise<void> {
  if (!withoutJs.has(page)) {
    await waitForHydration(page);
  }
}

/** "€1,234.00" → 123400 (minor units); fails the test on text that holds no amount. */
export function minorUnits(text: string): number {
  const m = text.match(/(\d[\d,.\s]*\d|\d)/);
  expect(m, `no amount in "${text}"`).not.toBeNull();
  const digits = m![1].replace(/[^\d]/g, '');
  return Number.parseInt(digits, 10);
}

/** 123400 → ["1,234.00", "1234.00"]: the ways a page may print that amount. */
export function amountSpellings(minor: number): string[] {
  const major = Math.floor(minor / 100).toString();
  const cents = (minor % 100).toString().padStart(2, '0');
  const grouped = major.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return [`${grouped}.${cents}`, `${major}.${cents}`];
}

export function priceLocator(page: Page): Locator {
  return page.getByTestId('price');
}

export async function readPrice(page: Page): Promise<number> {
  const price = priceLocator(page);
  await expect(price).toHaveText(/\d/);
  return minorUnits(await price.innerText());
}

/**
 * The largest element that holds this select and no other: the option group, where its
 * "Not available" lines live.
 */
export function groupContainer(select: Locator): Locator {
  return select.locator('xpath=ancestor::*[count(.//select)=1][last()]');
}

/**
 * Picks, in the select labelled `group`, an option other than the current one that is neither
 * disabled nor listed as "Not available" in the group; prefers the last (usually dearest).
 * Returns the option's label, or null when the group offers no other choice.
 */
export async function chooseOtherOption(
  page: Page,
  group: string | Locator,
): Promise<{ label: string; value: string } | null> {
  const select = typeof group === 'string' ? page.getByLabel(group, { exact: true }) : group;
  await expect(select).toBeEnabled();
  const container = groupContainer(select);
  const unavailable = (await container.getByText(/^\s*Not available/).allInnerTexts()).join('\n');
  const options = await select.locator('option').evaluateAll((els) =>
    els.map((el) => {
      const o = el as HTMLOptionElement;
      return { value: o.value, label: (o.textContent ?? '').trim(), selected: o.selected, disabled: o.disabled || o.hidden };
    }),
  );
  const candidates = options.filter(
    (o) => !o.selected && !o.disabled && o.value !== '' && !unavailable.includes(o.label.split(' (')[0]),
  );
  if (candidates.length === 0) {
    return null;
  }
  const pick = candidates[candidates.length - 1];
  await select.selectOption(pick.value);
  await expect(select).toHaveValue(pick.value);
  return { label: pick.label, value: pick.value };
}

/**
 * Waits for the price to be current after a change: with JS the app marks the price element
 * aria-busy="true" or class "pending" while a recomputation is in flight; without JS the
 * person presses "Update price" and the server answers with the re-rendered page.
 */
export async function priceUpdated(page: Page): Promise<void> {
  if (withoutJs.has(page)) {
    await page.getByRole('button', { name: 'Update price' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  }
  await expect(priceLocator(page)).not.toHaveAttribute('aria-busy', 'true');
  await expect(priceLocator(page)).not.toHaveClass(/(^|\s)pending(\s|$)/);
  await expect(priceLocator(page)).toHaveText(/\d/);
}

/** The labels of the product page's option selects, in page order. */
export async function optionGroups(page: Page): Promise<string[]> {
  const selects = page.locator('main select');
  await expect(selects.first()).toBeVisible();
  const names: string[] = [];
  for (const select of await selects.all()) {
    const label = await select.evaluate((el) => {
      const s = el as HTMLSelectElement;
      return (s.labels?.[0]?.textContent ?? s.getAttribute('aria-label') ?? '').trim();
    });
    expect(label, 'every option select has a label').not.toBe('');
    names.push(label);
  }
  return names;
}

/**
 * Changes two option groups (preferring `preferred`, then the page's order), each to another
 * available option, letting the price catch up after each change as a person would (without JS:
 * "Update price", after which the server's page keeps the choice). Returns the groups changed.
 */
export async function changeTwoOptions(page: Page, preferred: string[]): Promise<string[]> {
  const groups = await optionGroups(page);
  const order = [...preferred.filter((g) => groups.includes(g)), ...groups.filter((g) => !preferred.includes(g))];
  const changed: string[] = [];
  for (const group of order) {
    if (changed.length === 2) break;
    const picked = await chooseOtherOption(page, group);
    if (picked === null) continue;
    await priceUpdated(page);
    await expect(page.getByLabel(group, { exact: true })).toHaveValue(picked.value);
    changed.push(group);
  }
  expect(changed, 'two option groups could be changed').toHaveLength(2);
  return changed;
}

/** Opens a product page by its slug; returns the product's name (the h1). */
export async function openProduct(page: Page, slug: string): Promise<string> {
  await page.goto(`/products/${slug}`);
  const h1 = page.getByRole('heading', { level: 1 });
  await expect(h1).toBeVisible();
  await settled(page);
  return (await h1.innerText()).trim();
}

/** Opens the product from the home page by its link, as a visitor would. */
export async function openProductFromHome(page: Page, productName: string): Promise<void> {
  await page.goto('/');
  await settled(page);
  await page.getByRole('link', { name: productName }).first().click();
  await expect(page.getByRole('heading', { level: 1, name: productName })).toBeVisible();
  await settled(page);
}

/** On a product page: "Add to cart", then the cart shows the product. */
export async function addToCart(page: Page, productName: string): Promise<void> {
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page).toHaveURL(/\/cart(\?|$)/);
  await expect(cartLine(page, productName)).toBeVisible();
  await settled(page);
}

/** The cart line (a list item or table row with a "Remove" button) of a product. */
export function cartLine(page: Page, productName: string): Locator {
  return page
    .locator('li, tr')
    .filter({ hasText: productName })
    .filter({ has: page.getByRole('button', { name: 'Remove' }) });
}

export interface Address {
  email: string;
  fullName: string;
  address?: string;
  city?: string;
  postalCode?: string;
  country?: string;
}

/** On /cart: "Checkout", fills the address form and chooses the payment method. */
export async function checkout(page: Page, who: Address, payment: 'Invoice' | 'Card'): Promise<void> {
  await page.getByRole('link', { name: 'Checkout' }).or(page.getByRole('button', { name: 'Checkout' })).click();
  await expect(page).toHaveURL(/\/checkout(\?|$)/);
  await settled(page);
  const email = page.getByLabel('Email', { exact: true });
  await expect(email).toBeVisible();
  if (await email.isEditable()) {
    await email.fill(who.email);
  } else {
    // Logged in: the account's address, shown read-only.
    await expect(email).toHaveValue(who.email);
  }
  await page.getByLabel('Full name', { exact: true }).fill(who.fullName);
  await page.getByLabel('Address', { exact: true }).fill(who.address ?? 'Lindenstraße 12');
  await page.getByLabel('City', { exact: true }).fill(who.city ?? 'Berlin');
  await page.getByLabel('Postal code', { exact: true }).fill(who.postalCode ?? '10969');
  await page.getByLabel('Country').selectOption(who.country ?? 'DE');
  await page.getByRole('radio', { name: payment, exact: true }).check();
}

/** "Place order" (invoice) → the confirmation page; returns the order number read off it. */
export async function placeOrderAndReadNumber(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Place order' }).click();
  await expect(page).toHaveURL(/\/orders\/[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}/);
  return readOrderNumber(page);
}

export async function readOrderNumber(page: Page): Promise<string> {
  const line = page.getByText(ORDER_NUMBER).first();
  await expect(line).toBeVisible();
  const number = (await line.innerText()).match(ORDER_NUMBER)?.[1];
  expect(number, 'order number on the page').toBeTruthy();
  expect(page.url()).toContain(`/orders/${number}`);
  return number!;
}

export function timeline(page: Page): Locator {
  return page.getByRole('list', { name: 'Status timeline' });
}

/** The step as a reached `<li data-reached="true">` of the status timeline. */
export function reachedStep(scope: Locator, step: string): Locator {
  return scope.locator('li[data-reached="true"]').filter({ hasText: new RegExp(`\\b${step}\\b`) });
}

/** Checks the steps the timeline shows as reached: exactly `reached`, in that order. */
export async function expectReached(scope: Locator, reached: string[]): Promise<void> {
  const texts = scope.locator('li[data-reached="true"]');
  await expect(texts).toHaveCount(reached.length);
  for (const [i, step] of reached.entries()) {
    await expect(texts.nth(i)).toContainText(step);
  }
}

/** /orders/lookup by number and email; returns after "Find order" was pressed. */
export async function lookUpOrder(page: Page, number: string, email: string): Promise<void> {
  await page.goto('/orders/lookup');
  await settled(page);
  await page.getByLabel('Order number', { exact: true }).fill(number);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByRole('button', { name: 'Find order' }).click();
}

/** /login; then the landing page greets the person (by `firstName` when given) and offers "Log out". */
export async function logIn(page: Page, email: string, password: string, firstName?: string): Promise<void> {
  await page.goto('/login');
  await settled(page);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByText(firstName ? `Hello, ${firstName}` : /Hello, \S/).first()).toBeVisible();
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
}

/** axe-core's WCAG 2.0–2.2 A and AA rules on the page as it is now: no violation. */
export async function expectNoViolations(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
    .analyze();
  const found = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(found, `${what}: WCAG violations`).toEqual([]);
}
