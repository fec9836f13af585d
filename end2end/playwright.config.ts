// Playwright for Atelier: headless Debian Chromium against the release server and the fake
// Stripe, both started fresh for every run on fixed 127.0.0.1 ports (never reused), with a
// fresh SQLite database in a temporary directory that is deleted when the run ends.
// Build first: `cargo leptos build --release --split && cargo build --release -p fake-stripe`
// (scripts/test does both). CARGO_TARGET_DIR defaults to ~/.cache/atelier/target as in
// scripts/lib.sh.
import { defineConfig, devices } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { SHOP_PORT, SHOP_URL, STRIPE_PORT, STRIPE_URL } from './tests/ports';

const repoRoot = path.resolve(__dirname, '..');
const targetDir = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache', 'atelier', 'target');

// One data directory per run. The config is evaluated again in every worker: the workers
// inherit the variable, so only the process that made the directory owns (and deletes) it.
if (!process.env.ATELIER_E2E_DATA_DIR) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-e2e-'));
  process.env.ATELIER_E2E_DATA_DIR = dir;
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
}
const dataDir = process.env.ATELIER_E2E_DATA_DIR;

const quote = (p: string) => `'${p.replace(/'/g, `'\\''`)}'`;
const logLevel = process.env.E2E_RUST_LOG || 'warn';

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL: SHOP_URL,
    headless: true,
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
        // E2E_CHROMIUM_ARGS: more switches for one run (e.g. V8 flags to see what a figure owes
        // to the JIT); none by default.
        ...(process.env.E2E_CHROMIUM_ARGS ?? '').split(' ').filter((arg) => arg !== ''),
      ],
    },
  },
  projects: [
    {
      name: 'chromium',
      use: { ...devices['Desktop Chrome'] },
    },
  ],
  webServer: [
    {
      command: quote(path.join(targetDir, 'release', 'fake-stripe')),
      url: `${STRIPE_URL}/_test/health`,
      cwd: repoRoot,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'pipe',
      stderr: 'pipe',
      gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
      env: {
        ...(process.env as Record<string, string>),
        RUST_LOG: logLevel,
        FAKE_STRIPE_ADDR: `127.0.0.1:${STRIPE_PORT}`,
        FAKE_STRIPE_SECRET_KEY: 'sk_test_e2e',
        FAKE_STRIPE_WEBHOOK_SECRET: 'whsec_e2e',
        FAKE_STRIPE_WEBHOOK_URL: `${SHOP_URL}/webhooks/stripe`,
      },
    },
    {
      command: quote(path.join(targetDir, 'release', 'server')),
      url: `${SHOP_URL}/healthz`,
      cwd: repoRoot,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
      stderr: 'pipe',
      gracefulShutdown: { signal: 'SIGTERM', timeout: 10_000 },
      env: {
        ...(process.env as Record<string, string>),
        RUST_LOG: logLevel,
        LEPTOS_SITE_ADDR: `127.0.0.1:${SHOP_PORT}`,
        LEPTOS_SITE_ROOT: 'target/site',
        LEPTOS_OUTPUT_NAME: 'atelier',
        SITE_URL: SHOP_URL,
        DATABASE_URL: `sqlite://${dataDir}/atelier.db`,
        STRIPE_SECRET_KEY: 'sk_test_e2e',
        STRIPE_WEBHOOK_SECRET: 'whsec_e2e',
        STRIPE_API_BASE: STRIPE_URL,
        ATELIER_DEMO: '1',
        ATELIER_DEMO_MERCHANDISER_PASSWORD: 'merch-e2e-password',
        LEPTOS_HASH_FILES: 'true',
      },
    },
  ],
});
