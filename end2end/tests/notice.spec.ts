import { APIRequestContext, Download, expect, Page, test } from '@playwright/test';
import * as fs from 'node:fs';
import { mailSink, simulator } from '../playwright.config';
import { expectAccessible, Mail, providerReadyToPay } from './helpers';

// A pagoPA notice (avviso), end to end: a Gruppo B provider generates it on the cart page and
// hands it to whoever pays; the notice is paid at a PSP (the simulator's pagoPA side, no
// browser); the provider never comes back, yet the portal learns the payment from MyPay by
// itself, tells the provider by mail and shows the debt paid with its receipt.

// The portal's reconciler as playwright.config.ts starts it. The config sets no
// ECM_RECONCILER_*, so the server has its defaults (app/src/payments/reconciler.rs,
// ReconcilerConfig): a pass every 10 s; an open attempt asked again 10 s after its first check,
// the wait doubling at every check up to 300 s. A value set in the environment of the run
// reaches the server (Playwright passes its environment on) and this spec alike.
const setting = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const RECONCILER = {
  intervalS: setting('ECM_RECONCILER_INTERVAL_SECONDS', 10),
  backoffMinS: setting('ECM_RECONCILER_BACKOFF_MIN_SECONDS', 10),
  backoffMaxS: setting('ECM_RECONCILER_BACKOFF_MAX_SECONDS', 300),
};
// The mail worker's pass (ECM_MAIL_INTERVAL_SECONDS in playwright.config.ts).
const MAIL_INTERVAL_S = 1;
// What the bound below does not model: a loaded machine, SMTP, the sink.
const SLACK_S = 10;

/** The wait after the `checks`-th check of an attempt (ReconcilerConfig::backoff). */
function backoffS(checks: number): number {
  if (checks <= 0) return 0;
  return Math.min(RECONCILER.backoffMinS * 2 ** (checks - 1), RECONCILER.backoffMaxS);
}

/** The longest the reconciler can take to ask MyPay about a notice paid `elapsedS` seconds
 *  after it was issued. A notice is due from its creation and its n-th check comes at least
 *  backoff(1) + … + backoff(n-1) after it, so at most `checks` checks can have happened before
 *  the payment; the next one is due backoff(checks) after the last, and a pass starts within
 *  one interval of that. */
function reconcilerBoundS(elapsedS: number): number {
  let checks = 0;
  let earliestNext = 0;
  while (earliestNext <= elapsedS) {
    checks += 1;
    earliestNext += backoffS(checks);
  }
  return backoffS(checks) + RECONCILER.intervalS;
}

/** The bytes of a download the browser made. */
async function bytesOf(download: Download): Promise<Buffer> {
  const file = await download.path();
  return fs.readFileSync(file);
}

async function mailsTo(request: APIRequestContext, to: string, subject: string): Promise<Mail[]> {
  const all = (await (await request.get(`${mailSink.base}/api/messages`)).json()) as Mail[];
  return all.filter((m) => m.envelope_to.includes(to) && (m.subject ?? '').startsWith(subject));
}

type AvvisoRow = { iud: string; iuv: string | null; notice_number: string | null; state: string; amount: string };

async function simulatorRow(request: APIRequestContext, iuv: string): Promise<AvvisoRow | undefined> {
  const rows = (await (await request.get(`${simulator.base}/admin/avvisi`)).json()) as AvvisoRow[];
  return rows.find((r) => r.iuv === iuv);
}

/** On a phone (390 px) the page does not scroll sideways. */
async function fitsAPhone(page: Page): Promise<void> {
  const original = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth), page.url()).toBeLessThanOrEqual(390);
  if (original) await page.setViewportSize(original);
}

test('a Gruppo B provider generates a pagoPA notice, it is paid at a PSP and the portal shows it paid with its receipt, the provider never coming back', async ({ page, request }) => {
  test.setTimeout(120_000);
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.text().includes('panicked')) problems.push(`console ${message.type()} ${message.text()}`);
  });

  // A Gruppo B provider with everything in place: the first-year quota is due.
  const email = await providerReadyToPay(page, 'avviso');
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true', { timeout: 30_000 });

  // "Pagare più tardi con un avviso pagoPA": the quota is the one debt to choose.
  const section = page.getByTestId('genera-avviso');
  await expect(section.getByRole('heading', { name: 'Pagare più tardi con un avviso pagoPA' })).toBeVisible();
  const debt = section.getByLabel("Contributo da pagare con l'avviso");
  await expect(debt.locator('option')).toHaveCount(1);
  await expect(debt.locator('option')).toContainText('€ 258,22');
  await section.getByLabel('E-mail del pagatore').fill('amministrazione@example.it');
  const issuedFrom = Date.now();
  await section.getByRole('button', { name: "Genera l'avviso pagoPA" }).click();

  // Issued: the notice number is "3" + the IUV, 18 digits, and the notice downloads as a PDF.
  await expect(page.getByTestId('avviso-emesso-ok')).toBeVisible();
  await expect(page).toHaveURL(/\/area\/pagamento$/);
  const notice = page.getByTestId('avvisi').getByTestId('avviso');
  await expect(notice).toHaveCount(1);
  await expect(notice).toContainText('€ 258,22');
  await expect(notice).toContainText('Avviso emesso — numero avviso');
  const number = (await notice.getByTestId('numero-avviso').textContent())?.trim() ?? '';
  expect(number).toMatch(/^3\d{17}$/);
  const iuv = number.slice(1);

  const link = notice.getByRole('link', { name: "Scarica l'avviso (PDF)" });
  await expect(link).toHaveAttribute('href', /^\/avvisi\/[^/]+\/avviso\.pdf$/);
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  expect(download.suggestedFilename()).toBe(`avviso-pagopa-${iuv}.pdf`);
  const noticePdf = await bytesOf(download);
  expect(noticePdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  // MyPay's notice carries its number (in the pagoPA QR code payload).
  expect(noticePdf.toString('latin1')).toContain(number);

  // The debt is behind the notice now: no longer in the online cart, nor offered for another notice.
  await expect(page.getByTestId('niente-da-pagare')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Paga con pagoPA' })).toHaveCount(0);
  await expect(page.getByTestId('genera-avviso')).toHaveCount(0);
  await expect(page.getByRole('button', { name: "Annulla l'avviso" })).toBeVisible();
  await fitsAPhone(page);
  await expectAccessible(page);
  expect(problems, 'errors in the browser on the cart page').toEqual([]);

  // MyPay holds it, open; nothing is paid yet, so the provider has had no payment mail.
  const row = await simulatorRow(request, iuv);
  expect(row, `a simulator row with IUV ${iuv}`).toBeDefined();
  expect(row!.state).toBe('open');
  expect(row!.notice_number).toBe(number);
  expect(await mailsTo(request, email, 'Pagamento verificato')).toEqual([]);

  // Someone pays the notice at a PSP (no session, no browser), and the provider closes the tab.
  const paid = await request.post(`${simulator.base}/admin/avvisi/${iuv}/pay-at-psp`);
  expect(paid.status(), await paid.text()).toBe(200);
  expect(((await paid.json()) as { iud: string }).iud).toBe(row!.iud);
  const elapsedS = (Date.now() - issuedFrom) / 1000;
  expect((await simulatorRow(request, iuv))!.state).toBe('paid_pagopa');
  const context = page.context();
  await page.close();

  // The provider never comes back: the portal asks MyPay by itself and writes to the provider.
  const boundS = reconcilerBoundS(elapsedS) + MAIL_INTERVAL_S + SLACK_S;
  let mail: Mail | undefined;
  await expect
    .poll(async () => (mail = (await mailsTo(request, email, 'Pagamento verificato: € 258,22'))[0]) !== undefined, {
      timeout: boundS * 1000,
      intervals: [1_000],
      message: `the "Pagamento verificato" mail to ${email} within ${boundS} s of a payment ${elapsedS.toFixed(1)} s after the notice`,
    })
    .toBe(true);
  expect(mail!.text).toContain(`IUV ${iuv}`);
  expect(mail!.text).toContain('/area/estratto-conto');

  // From the mail to the statement: the quota paid with pagoPA, with the IUV and its PDF receipt.
  const later = await context.newPage();
  await later.goto('/area/estratto-conto');
  const quota = later.getByTestId('riga-estratto').filter({ hasText: '€ 258,22' });
  await expect(quota).toHaveCount(1);
  await expect(quota).toHaveAttribute('data-stato', 'PAGATO');
  await expect(quota.locator('.badge')).toHaveText('Pagato');
  await expect(quota.getByTestId('pagamento')).toContainText(`IUV ${iuv}`);
  const receiptLink = quota.getByRole('link', { name: 'Ricevuta (PDF)' });
  await expect(receiptLink).toHaveAttribute('href', /^\/dovuti\/[^/]+\/ricevuta\.pdf$/);
  const [receiptDownload] = await Promise.all([later.waitForEvent('download'), receiptLink.click()]);
  const receipt = await bytesOf(receiptDownload);
  expect(receipt.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  // The receipt's content stream is not compressed: its IUV row reads as text.
  expect(receipt.toString('latin1')).toContain(`(${iuv})`);
  await expectAccessible(later);
});
