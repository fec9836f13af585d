/*
 * The help centre in a real browser. A buyer types a question with typos into the search box
 * and the right answer comes first while typing, with no request per keystroke (the search runs
 * in its own wasm module); without JavaScript the results page finds it too; "Did this answer
 * your question?" is answered once; "Call me" from a product page reaches the console's queue
 * with the configuration, is claimed and done, and the buyer sees it. axe-core checks the pages.
 */
import { expect, test } from '@playwright/test';
import { expectNoViolations, logIn } from './helpers';

const TYPO_QUESTION = 'how lnog untill my bicyle arives';

test('a buyer finds an answer as they type, with typos, without a request per keystroke', async ({ page }) => {
  await page.goto('/');
  const search = page.getByRole('search', { name: 'Search help' });
  const box = search.getByRole('searchbox', { name: 'Search help' });
  await box.focus();
  await expect(search).toHaveAttribute('data-search', 'local');

  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  await box.pressSequentially(TYPO_QUESTION, { delay: 15 });
  const answers = page.getByRole('region', { name: 'Answers as you type' });
  await expect(answers.getByRole('link').first()).toHaveText('How long until my bike arrives?');
  await expect(answers.locator('mark').first()).toBeVisible();
  expect(requests, 'no request while typing').toEqual([]);
  await expectNoViolations(page, 'home page with answers as you type');

  // The keyboard reaches the answer; the article asks whether it helped, once.
  await box.press('ArrowDown');
  await expect(answers.getByRole('link').first()).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('How long until my bike arrives?');
  await expect(page).toHaveURL(/\/help\/how-long-until-my-bike-arrives\?q=/);
  await expectNoViolations(page, 'help article');
  await page.goto('/help/search?q=bike+frame+size');
  await expectNoViolations(page, 'search results page');
  await page.goto('/help');
  await expectNoViolations(page, 'help centre');
  await page.goto(`/help/how-long-until-my-bike-arrives?q=${encodeURIComponent(TYPO_QUESTION)}`);
  const feedback = page.getByRole('group', { name: 'Did this answer your question?' });
  await feedback.getByRole('button', { name: 'Yes' }).click();
  await expect(page.getByText('Thank you: your answer is recorded.')).toBeVisible();
  await page.goto('/help/how-long-until-my-bike-arrives');
  await expect(page.getByText('You said this answered your question.')).toBeVisible();
  await expect(page.getByRole('group', { name: 'Did this answer your question?' })).toHaveCount(0);
});

test('without JavaScript the search runs on the server and finds the same answer', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/help');
  const box = page.getByRole('main').getByRole('searchbox', { name: 'Search help' });
  await box.fill(TYPO_QUESTION);
  await box.press('Enter');
  await expect(page).toHaveURL(/\/help\/search\?q=/);
  const first = page.getByRole('main').locator('ol.help-results > li').first();
  await expect(first.getByRole('link')).toHaveText('How long until my bike arrives?');
  await expect(first.locator('mark').first()).toBeVisible();
  await context.close();
});

test('"Call me" from a product page reaches the queue with the configuration, is claimed and done', async ({ page, browser }) => {
  test.setTimeout(90_000);
  const name = `Paula Phone ${Date.now().toString(36)}`;
  await page.goto('/products/bicycle?configuration[frame]=titanium');
  const callMe = page.locator('details.call-me');
  await callMe.locator('summary').click();
  await callMe.getByLabel('Your name').fill(name);
  await callMe.getByLabel('Phone number, with its country code').fill('030 1234 5678');
  await callMe.getByRole('radio', { name: '12:00–15:00' }).check();
  await callMe.getByRole('button', { name: 'Ask for a call' }).click();
  // A number without its country code is refused beside its field; what was typed stays.
  const again = page.locator('details.call-me');
  await expect(again.getByText('Enter the number with its country code').first()).toBeVisible();
  await expect(again.getByLabel('Your name')).toHaveValue(name);
  await again.getByLabel('Phone number, with its country code').fill('+49 30 1234 5678');
  await again.getByRole('button', { name: 'Ask for a call' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('We will call you');
  await expect(page.getByTestId('call-status')).toHaveText('Waiting for a member of staff');
  const confirmation = page.url();
  await expectNoViolations(page, 'call-back confirmation');

  const staffContext = await browser.newContext();
  const staff = await staffContext.newPage();
  await logIn(staff, 'merchandiser@atelier.test', 'merch-e2e-password');
  await staff.goto('/admin');
  await staff.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Calls' }).click();
  const request = staff.getByRole('listitem').filter({ has: staff.getByRole('heading', { name: new RegExp(name) }) });
  await expect(request).toContainText('+493012345678');
  await expect(request).toContainText('frame: titanium');
  await expect(request.getByRole('link', { name: 'bicycle', exact: true })).toHaveAttribute('href', /\/products\/bicycle\?.*titanium/);
  await expectNoViolations(staff, 'call queue');
  await request.getByRole('button', { name: `Claim the call to ${name}` }).click();
  const claimed = staff.getByRole('listitem').filter({ has: staff.getByRole('heading', { name: new RegExp(name) }) });
  await claimed.getByLabel('What was agreed').fill('Talked through the titanium frame sizes.');
  await claimed.getByRole('button', { name: 'Mark done' }).click();
  await expect(staff.getByRole('heading', { name: new RegExp(name) })).toHaveCount(0);
  await staffContext.close();

  await page.goto(confirmation);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('We called you');
  await expect(page.getByTestId('call-status')).toHaveText('Done');
});

test('a merchandiser adds a synonym and the search in the browser finds the article by it', async ({ page, browser }) => {
  const word = `velo${Date.now().toString(36).replace(/[0-9]/g, 'x')}`;
  await logIn(page, 'merchandiser@atelier.test', 'merch-e2e-password');
  await page.goto('/admin');
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Help' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Help centre');
  await expect(page.getByRole('img', { name: /YES share of the answers/ })).toBeVisible();
  await expectNoViolations(page, 'help console');
  await page.getByLabel('Word or phrase').fill(word);
  await page.getByLabel('Means the same as (separated by commas)').fill('bike, bicycle');
  await page.getByRole('button', { name: 'Add synonyms' }).click();
  await expect(page.getByRole('row', { name: new RegExp(`${word} bike, bicycle`) })).toBeVisible();

  const buyer = await browser.newPage();
  await buyer.goto('/help');
  const box = buyer.getByRole('main').getByRole('searchbox', { name: 'Search help' });
  await box.focus();
  await expect(buyer.getByRole('main').getByRole('search')).toHaveAttribute('data-search', 'local');
  await box.pressSequentially(`${word} arrives`, { delay: 15 });
  const answers = buyer.getByRole('main').getByRole('region', { name: 'Answers as you type' });
  await expect(answers.getByRole('link', { name: 'How long until my bike arrives?' })).toBeVisible();
  await buyer.close();
});

/** Questions as buyers type them: typos, prefixes, synonyms, plain words, stop words. */
const QUESTIONS = [
  TYPO_QUESTION,
  'retrun my bike',
  'can i pay by invoic',
  'e-bike battery',
  'change my delivery adress',
  'warranty',
  'what size frame do i need',
  'cancel an order',
  'keyboard switch',
  'delete my account and data',
  'lead time',
  'how do i clean the desk mat',
];

test('the search in the browser ranks as the server\'s search does', async ({ page, browser }) => {
  test.setTimeout(90_000);
  // The server's answers (its native build of the same library), from its results page.
  const context = await browser.newContext({ javaScriptEnabled: false });
  const server = await context.newPage();
  const expected: string[][] = [];
  for (const question of QUESTIONS) {
    await server.goto(`/help/search?q=${encodeURIComponent(question)}`);
    expected.push(await server.getByRole('main').locator('ol.help-results > li > a').allInnerTexts());
  }
  await context.close();
  expect(expected.filter((titles) => titles.length > 0).length, 'most questions find something').toBeGreaterThan(QUESTIONS.length - 2);

  // The browser's wasm, answering as the box is typed into.
  await page.goto('/help');
  const search = page.getByRole('main').getByRole('search');
  const box = search.getByRole('searchbox', { name: 'Search help' });
  await box.focus();
  await expect(search).toHaveAttribute('data-search', 'local');
  const answers = page.getByRole('main').getByRole('region', { name: 'Answers as you type' });
  for (const [i, question] of QUESTIONS.entries()) {
    await box.fill(question);
    await expect(answers.getByRole('status').or(answers.locator('p.all-results'))).toBeAttached();
    const local = await answers.locator('ol.help-results > li > a').allInnerTexts();
    expect(local, question).toEqual(expected[i].slice(0, local.length));
    expect(local.length, question).toBe(Math.min(6, expected[i].length));
  }
});

test('a question the browser finds nothing for reaches the console\'s search gaps', async ({ page, browser }) => {
  const nonsense = `quaggy ${Date.now().toString(36).replace(/[0-9]/g, 'q')} flumph`;
  await page.goto('/help');
  const search = page.getByRole('main').getByRole('search');
  const box = search.getByRole('searchbox', { name: 'Search help' });
  await box.focus();
  await expect(search).toHaveAttribute('data-search', 'local');
  const requests: string[] = [];
  page.on('request', (request) => requests.push(new URL(request.url()).pathname));
  const reported = page.waitForRequest((request) => new URL(request.url()).pathname === '/api/search_help');
  await box.pressSequentially(nonsense, { delay: 15 });
  await expect(page.getByRole('main').getByRole('region', { name: 'Answers as you type' })).toContainText('No answer matches yet.');
  expect(requests, 'no request while typing').toEqual([]);
  // Once the box rests on it, one request.
  await (await reported).response();
  expect(requests).toEqual(['/api/search_help']);

  const staff = await browser.newPage();
  await logIn(staff, 'merchandiser@atelier.test', 'merch-e2e-password');
  await staff.goto('/admin/help');
  const gaps = staff.locator('div').filter({ has: staff.getByRole('heading', { name: 'Searches that found nothing' }) }).last();
  await expect(gaps).toContainText(nonsense);
  await staff.close();
});
