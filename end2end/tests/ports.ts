// The fixed loopback addresses of one Playwright run (see playwright.config.ts).
export const SHOP_PORT = 3111;
export const STRIPE_PORT = 12111;
export const SHOP_URL = `http://127.0.0.1:${SHOP_PORT}`;
export const STRIPE_URL = `http://127.0.0.1:${STRIPE_PORT}`;
