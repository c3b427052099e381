import { defineConfig } from '@playwright/test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// The real portal, started by Playwright on its own port with a throw-away SQLite database.
const port = Number(process.env.E2E_PORT ?? 3100);
const serverBin = process.env.E2E_SERVER_BIN ?? path.resolve(__dirname, '../target/release/ecm-server');
// The MyPay simulator stands in for MyPay, on its own port. Checkout mode with a short receipt
// delay, so that the return page is seen waiting for the receipt and then updating by itself.
const simPort = Number(process.env.E2E_SIM_PORT ?? 3199);
const simulatorBin = process.env.E2E_SIMULATOR_BIN ?? path.resolve(__dirname, '../target/release/mypay-simulator');
export const simulator = { base: `http://127.0.0.1:${simPort}`, codIpa: 'R_VENETO', password: 'Ecm#Veneto2025' };
// The project's SMTP sink receives the portal's mail; specs read it from its HTTP API.
const sinkSmtpPort = Number(process.env.E2E_SINK_SMTP_PORT ?? 3125);
const sinkHttpPort = Number(process.env.E2E_SINK_HTTP_PORT ?? 3180);
const sinkBin = process.env.E2E_SINK_BIN ?? path.resolve(__dirname, '../target/release/mail-sink');
export const mailSink = { base: `http://127.0.0.1:${sinkHttpPort}` };
// Created once, in the main process; the workers inherit the environment, so they find the same
// directory (a spec that sets up the passage of time edits this database, see quietanza.spec).
const dataDir = process.env.E2E_DATA_DIR ?? (process.env.E2E_DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'ecm-e2e-')));
export const databasePath = path.join(dataDir, 'ecm.sqlite');

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
  webServer: [
    {
      command: sinkBin,
      cwd: path.resolve(__dirname, '..'),
      url: `${mailSink.base}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
      env: {
        MAIL_SINK_SMTP_ADDR: `127.0.0.1:${sinkSmtpPort}`,
        MAIL_SINK_HTTP_ADDR: `127.0.0.1:${sinkHttpPort}`,
        RUST_LOG: 'warn',
      },
    },
    {
      command: simulatorBin,
      cwd: path.resolve(__dirname, '..'),
      url: `${simulator.base}/ws/pa/PagamentiTelematiciDovutiPagati.wsdl`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
      env: {
        MYPAY_SIM_ADDR: `127.0.0.1:${simPort}`,
        MYPAY_SIM_MODE: 'checkout',
        MYPAY_SIM_RECEIPT_DELAY_SECONDS: '3',
        MYPAY_SIM_COD_IPA: simulator.codIpa,
        MYPAY_SIM_PASSWORD: simulator.password,
        RUST_LOG: 'warn',
      },
    },
    {
      command: serverBin,
      cwd: path.resolve(__dirname, '..'),
      url: `http://127.0.0.1:${port}/healthz`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'ignore',
      stderr: 'pipe',
      env: {
        DATABASE_URL: `sqlite://${databasePath}`,
        LEPTOS_OUTPUT_NAME: 'ecm',
        LEPTOS_SITE_ROOT: 'target/site',
        LEPTOS_SITE_PKG_DIR: 'pkg',
        LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
        ECM_PUBLIC_URL: `http://127.0.0.1:${port}`,
        ECM_ADMIN_EMAIL: admin.email,
        ECM_ADMIN_PASSWORD: admin.password,
        // Every spec registers its providers from 127.0.0.1.
        ECM_REGISTRATIONS_PER_ADDRESS: '10000',
        ECM_VERIFY_MIN_INTERVAL_SECONDS: '1',
        ECM_MYPAY_ENDPOINT: `${simulator.base}/ws/pa/PagamentiTelematiciDovutiPagati`,
        ECM_MYPAY_COD_IPA_ENTE: simulator.codIpa,
        ECM_MYPAY_PASSWORD: simulator.password,
        ECM_SMTP_URL: `smtp://127.0.0.1:${sinkSmtpPort}?tls=none`,
        ECM_MAIL_FROM: 'Portale ECM <ecm-noreply@e2e.test>',
        ECM_MAIL_INTERVAL_SECONDS: '1',
        RUST_LOG: 'warn',
      },
    },
  ],
});
