import { Browser, expect, Page, test } from '@playwright/test';
import * as path from 'node:path';
import { admin, simulator } from '../playwright.config';
import {
  expectAccessible,
  fillCensimento,
  login,
  providerReadyToPay,
  register,
  uniqueCodiceFiscaleEnte,
  uniqueEmail,
  uploadAllRequiredDocuments,
} from './helpers';
import { accreditedProvider, declareEvent, payShownCart } from './flows';

const year = new Date().getFullYear();
const shots = path.resolve(__dirname, '../test-results/screenshots');

/** Screenshots at 1366×768 and 390×844; on the phone the page must not scroll sideways. */
async function screenshots(page: Page, name: string): Promise<void> {
  for (const [size, viewport] of [['desktop', { width: 1366, height: 768 }], ['mobile', { width: 390, height: 844 }]] as const) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: `${shots}/${name}-${size}.png`, fullPage: true });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width, `${name} at ${viewport.width}px`).toBeLessThanOrEqual(viewport.width);
  }
  await page.setViewportSize({ width: 1366, height: 768 });
}

test('six events make six debts, paid in two carts through MyPay, all verified PAGATO with their IUV', async ({ page, browser }) => {
  test.setTimeout(240_000);
  await accreditedProvider(page, browser, 'eventi');
  await page.getByRole('link', { name: 'Vai al piano formativo' }).click();
  await expect(page).toHaveURL(/\/area\/eventi$/);
  await expect(page.getByTestId('nessun-evento')).toBeVisible();

  // A mistake first: the Italian message, and nothing typed is lost.
  await declareEvent(page, 'Corso con date invertite', 'RES', `${year}-12-10`, `${year}-12-09`, true);
  await expect(page.getByText('La data di fine non può precedere la data di inizio.').first()).toBeVisible();
  await expect(page.getByTestId('form-evento').getByLabel("Titolo dell'evento")).toHaveValue('Corso con date invertite');
  await expect(page.getByTestId('evento')).toHaveCount(0);
  await expectAccessible(page);

  const events: Array<[string, 'RES' | 'FSC' | 'FAD', boolean, string]> = [
    ['Corso con date invertite', 'RES', true, '€ 258,22'],
    ['Ecografia clinica', 'FAD', true, '€ 1.500,00'],
    ['Rianimazione cardiopolmonare', 'RES', false, '€ 172,15'],
    ['Audit clinico in reparto', 'FSC', true, '€ 258,22'],
    ['Antibiotico-resistenza', 'FAD', false, '€ 1.000,00'],
    ['Gestione del rischio clinico', 'FSC', false, '€ 172,15'],
  ];
  for (const [i, [title, procedure, sponsored]] of events.entries()) {
    await declareEvent(page, title, procedure, `${year}-12-${String(10 + i).padStart(2, '0')}`, `${year}-12-${String(11 + i).padStart(2, '0')}`, sponsored);
    await expect(page.getByTestId('evento')).toHaveCount(i + 1);
    await expect(page.getByTestId('evento-inserito')).toBeVisible();
  }
  for (const [title, , , fee] of events) {
    const row = page.getByTestId('evento').filter({ hasText: title });
    await expect(row.getByTestId('contributo')).toHaveText(fee);
    await expect(row.getByTestId('stato-contributo')).toContainText('Da pagare');
  }
  await expect(page.getByTestId('form-evento').getByLabel("Titolo dell'evento")).toHaveValue('');
  await expectAccessible(page);
  await screenshots(page, 'eventi');

  // Six debts: pagoPA takes at most five per payment, so two carts.
  await page.getByRole('link', { name: 'Paga i contributi' }).click();
  await expect(page).toHaveURL(/\/area\/pagamento$/);
  await expect(page.getByTestId('piu-carrelli')).toContainText('I dovuti da pagare sono 6');
  await expect(page.getByTestId('piu-carrelli')).toContainText('li pagherai in 2 carrelli');
  await expect(page.getByTestId('dovuti')).toHaveCount(2);
  await expect(page.getByTestId('dovuti').first().locator('tbody tr')).toHaveCount(5);
  await expect(page.getByTestId('dovuti').nth(1).locator('tbody tr')).toHaveCount(1);
  await expectAccessible(page);
  await screenshots(page, 'carrello-6-dovuti');

  // Cart 1 (five debts), back on the portal, then cart 2 (one debt).
  await payShownCart(page);
  await page.goto('/area/pagamento');
  await expect(page.getByTestId('piu-carrelli')).toHaveCount(0);
  await expect(page.getByTestId('dovuti').locator('tbody tr')).toHaveCount(1);
  await payShownCart(page);
  await page.goto('/area/pagamento');
  await expect(page.getByTestId('niente-da-pagare')).toBeVisible();

  // Every event's debt is PAGATO with the IUV of its cart; two attempts, two IUVs.
  await page.goto('/area/eventi');
  await expect(page.getByTestId('evento')).toHaveCount(6);
  for (const [title] of events) {
    const row = page.getByTestId('evento').filter({ hasText: title });
    await expect(row).toHaveAttribute('data-stato', 'PAGATO');
    await expect(row.getByTestId('stato-contributo')).toContainText(/Pagato — IUV \S+/);
  }
  await page.goto('/area/pagamenti');
  const paid = page.getByTestId('pagamento').filter({ has: page.getByTestId('stato-dovuto').filter({ hasText: /^PAGATO$/ }) });
  await expect(paid).toHaveCount(3); // the first-year fee and the two carts of events
  const iuvs = await page.getByTestId('pagamento').getByTestId('iuv').allTextContents();
  expect(new Set(iuvs).size).toBe(3);
});

test('provider B reaches none of provider A\'s request, documents, payments or receipts', async ({ page, browser }) => {
  test.setTimeout(120_000);
  // Provider A: request, documents, a verified payment with its receipt.
  await providerReadyToPay(page, 'iso-a');
  await payShownCart(page);
  const api = async (p: Page, endpoint: string, form: Record<string, string> = {}) =>
    p.request.post(`/api/${endpoint}`, { headers: { Accept: 'application/json' }, form });
  const request = await (await api(page, 'requests/mine')).json();
  const documents = await (await api(page, 'documents/mine')).json();
  const attempts = await (await api(page, 'payments/mine')).json();
  const provider = await (await api(page, 'providers/mine')).json();
  const documentId: string = documents.slots.find((s: { current: { id: string } | null }) => s.current).current.id;
  const attempt = attempts[0];
  expect(attempt.state).toBe('Pagata');
  const secrets: string[] = [provider.form.codice_fiscale, provider.id, request.id, documentId, attempt.id, attempt.iuv, attempt.id_session];
  // A can download its own receipt and document.
  expect((await page.request.get(`/api/payments/${attempt.id}/ricevuta`)).status()).toBe(200);
  expect((await page.request.get(`/documenti/${documentId}`)).status()).toBe(200);

  // Provider B, logged in in its own browser context.
  const other = await browser.newContext({ baseURL: new URL(page.url()).origin, locale: 'it-IT' });
  const b = await other.newPage();
  await register(b, uniqueEmail('iso-b'));
  await expect(b).toHaveURL(/\/area$/);
  await b.goto('/area/censimento');
  await fillCensimento(b, uniqueCodiceFiscaleEnte());
  await b.getByRole('button', { name: 'Salva e continua' }).click();
  await expect(b).toHaveURL(/\/area\/domanda$/);

  const noSecrets = (body: string, what: string) => {
    for (const secret of secrets) expect(body, `${what} leaks ${secret}`).not.toContain(secret);
  };
  // Server functions called with A's ids.
  const refused: Array<[string, Record<string, string>]> = [
    ['payments/verify', { id_session: attempt.id_session, esito: 'OK' }],
    ['segreteria/request', { id: request.id }],
    ['segreteria/payment', { id: attempt.id }],
    ['segreteria/payment_verify', { id: attempt.id }],
    ['segreteria/act', { id: request.id, action: 'accredita', note: '' }],
  ];
  for (const [endpoint, form] of refused) {
    const response = await api(b, endpoint, form);
    expect([403, 404], `${endpoint}: ${response.status()}`).toContain(response.status());
    noSecrets(await response.text(), endpoint);
  }
  // B's own views show nothing of A.
  for (const endpoint of ['requests/mine', 'documents/mine', 'payments/mine', 'payments/page', 'providers/mine', 'events/plan']) {
    const response = await api(b, endpoint);
    noSecrets(await response.text(), endpoint);
  }
  // Download URLs with A's ids.
  for (const url of [`/documenti/${documentId}`, `/api/payments/${attempt.id}/ricevuta`]) {
    const response = await b.request.get(url);
    expect([403, 404], `${url}: ${response.status()}`).toContain(response.status());
    noSecrets(await response.text(), url);
  }
  // Pages: the Segreteria's request and payment detail are forbidden to a provider.
  for (const url of [`/segreteria/domande/${request.id}`, `/segreteria/pagamenti/${attempt.id}`]) {
    const response = await b.goto(url);
    expect(response?.status()).toBe(403);
    noSecrets(await b.content(), url);
  }
  // The simulator is not the portal: A's session is untouched by B's attempts.
  const sessions = await (await page.request.get(`${simulator.base}/admin/sessions`)).json();
  expect(sessions.filter((s: { id_session: string }) => s.id_session === attempt.id_session)).toHaveLength(1);
  await other.close();
});
