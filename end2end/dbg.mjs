import { chromium } from '@playwright/test';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu','--disable-background-networking','--disable-component-update','--disable-sync','--no-first-run'] });
const page = await browser.newPage();
page.on('console', m => console.log('console', m.type(), m.text().slice(0, 500)));
page.on('pageerror', e => console.log('pageerror', e.message.slice(0, 500)));
for (const url of process.argv.slice(2)) {
  await page.goto(url);
  try { await page.waitForSelector('body[data-hydrated]', { state: 'attached', timeout: 8000 }); console.log('hydrated', url); } catch { console.log('NOT hydrated', url); }
}
await browser.close();
