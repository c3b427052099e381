import { defineConfig } from '@playwright/test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// The real portal, started by Playwright on its own port with a throw-away SQLite database.
const port = Number(process.env.E2E_PORT ?? 3100);
const serverBin = process.env.E2E_SERVER_BIN ?? path.resolve(__dirname, '../target/debug/ecm-server');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecm-e2e-'));

export const admin = { email: 'segreteria@e2e.test', password: 'Segreteria2026!' };

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    locale: 'it-IT',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.E2E_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--headless',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  webServer: {
    command: serverBin,
    cwd: path.resolve(__dirname, '..'),
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      DATABASE_URL: `sqlite://${dataDir}/ecm.sqlite`,
      LEPTOS_OUTPUT_NAME: 'ecm',
      LEPTOS_SITE_ROOT: 'target/site',
      LEPTOS_SITE_PKG_DIR: 'pkg',
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      ECM_PUBLIC_URL: `http://127.0.0.1:${port}`,
      ECM_ADMIN_EMAIL: admin.email,
      ECM_ADMIN_PASSWORD: admin.password,
      RUST_LOG: 'warn',
    },
  },
});
