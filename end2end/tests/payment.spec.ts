import { expect, test } from '@playwright/test';
import { admin } from '../playwright.config';
import { openRequestRow } from './flows';
import { expectAccessible, fillCensimento, login, register, uniqueCodiceFiscaleEnte, uniqueEmail, uploadAllRequiredDocuments } from './helpers';

test('from registration to ACCREDITATO: documents, the annual fee paid with pagoPA and verified, the Segreteria decides', async ({ page, browser }) => {
  // Register, censimento, draft request.
  await register(page, uniqueEmail('pay'));
  await expect(page).toHaveURL(/\/area$/);
  await page.goto('/area/censimento');
  const cf = uniqueCodiceFiscaleEnte();
  await fillCensimento(page, cf);
  await page.getByRole('button', { name: 'Salva e continua' }).click();
  await expect(page).toHaveURL(/\/area\/domanda$/);
  await page.getByLabel(/Accreditamento provvisorio/).check();
  await page.getByRole('button', { name: 'Salva la bozza e continua' }).click();
  await expect(page).toHaveURL(/\/area$/);

  // The payment step is locked until every required document is there, and the page says what is missing.
  await expect(page.getByTestId('mancanze')).toContainText('Piano della qualità');
  await uploadAllRequiredDocuments(page);
  await page.goto('/area');

  // The first-year fee is due: € 258,22.
  await expect(page.getByTestId('contributi')).toContainText('€ 258,22');
  await expectAccessible(page);
  await page.getByRole('link', { name: 'Vai al pagamento' }).click();
  await expect(page).toHaveURL(/\/area\/pagamento$/);
  await expect(page.getByTestId('totale')).toHaveText('€ 258,22');
  await expect(page.getByTestId('beneficiario')).toContainText('80007580279');
  await expect(page.getByTestId('pagatore')).toContainText('Tipo G');
  await expectAccessible(page);

  // Off to MyPay (the simulator's landing page), and pay.
  await page.getByRole('button', { name: 'Paga con pagoPA' }).click();
  await expect(page).toHaveURL(/\/public\/landing\/inviaDovuti\?id=/);
  await page.getByRole('button', { name: 'Paga', exact: true }).click();

  // Back on the portal: MyPay said OK, but the receipt arrives a few seconds later; the page
  // keeps verifying by itself, with no manual refresh.
  await expect(page).toHaveURL(/\/pagamenti\/ritorno\?idSession=[^&]+&esito=OK/);
  await expect(page.getByTestId('esito-mypay')).toContainText('esito OK');
  await expect(page.getByTestId('stato-verifica')).toContainText('Verifica del pagamento in corso');
  await expectAccessible(page);
  await expect(page.getByTestId('stato-verifica')).toContainText('Pagamento verificato', { timeout: 20_000 });
  await expect(page.getByRole('link', { name: 'Scarica la ricevuta' })).toBeVisible();

  // The payments page shows the debt PAGATO with its IUV.
  await page.getByRole('link', { name: 'Vedi i pagamenti' }).click();
  await expect(page).toHaveURL(/\/area\/pagamenti$/);
  const row = page.getByTestId('pagamento').first();
  await expect(row.getByTestId('stato-dovuto')).toHaveText('PAGATO');
  await expect(row.getByTestId('iuv')).toHaveText(/^\d{17}$|^RF\d{2}\w+$/);
  await expectAccessible(page);

  // The request can now be sent.
  await page.goto('/area');
  await page.getByRole('button', { name: 'Invia la domanda alla Segreteria ECM' }).click();
  await expect(page.getByTestId('stato-domanda')).toHaveText('Inviata');
  const provider = (await page.getByTestId('provider').locator('strong').textContent()) ?? '';

  // The Segreteria finds the request, takes it in charge and accredits the provider.
  const staff = await browser.newContext({ baseURL: new URL(page.url()).origin, locale: 'it-IT' });
  const segreteria = await staff.newPage();
  await login(segreteria, admin.email, admin.password);
  await expect(segreteria).toHaveURL(/\/segreteria$/);
  await segreteria.getByLabel('Cerca per denominazione, codice fiscale o partita IVA').fill(cf);
  await segreteria.getByLabel('Stato', { exact: true }).selectOption('INVIATA');
  await segreteria.getByRole('button', { name: 'Cerca' }).click();
  await openRequestRow(segreteria, cf);
  await expect(segreteria.getByTestId('stato-domanda')).toHaveText('Inviata');
  await expect(segreteria.getByTestId('documenti-domanda')).toContainText('documento-1.pdf');
  await expectAccessible(segreteria);
  await segreteria.getByRole('button', { name: 'Prendi in carico' }).click();
  await expect(segreteria.getByTestId('stato-domanda')).toHaveText('In istruttoria');
  // What the provider declared at submission is in the history; the fee is paid.
  await expect(segreteria.getByTestId('dichiarato').first()).toContainText('Gruppo B');
  await expect(segreteria.getByTestId('contributi-domanda')).toContainText('Pagato');
  // Accrediting needs the Gruppo confirmed first.
  await segreteria.getByLabel('Nota (facoltativa)').last().fill('Requisiti verificati');
  await segreteria.getByRole('button', { name: 'Accredita' }).click();
  await expect(segreteria.getByTestId('errore')).toContainText('conferma il suo Gruppo');
  await expect(segreteria.getByTestId('stato-domanda')).toHaveText('In istruttoria');
  await segreteria.getByRole('button', { name: 'Conferma il Gruppo B' }).click();
  await expect(segreteria.getByTestId('gruppo')).toContainText('confermato dalla Segreteria');
  await segreteria.getByLabel('Nota (facoltativa)').last().fill('Requisiti verificati');
  await segreteria.getByRole('button', { name: 'Accredita' }).click();
  await expect(segreteria.getByTestId('stato-domanda')).toHaveText('Accreditato');
  await expect(segreteria.getByTestId('modifiche-provider')).toBeVisible();

  // The provider's statement of account, as the Segreteria sees it.
  await segreteria.getByRole('link', { name: 'Estratto conto del provider' }).click();
  await expect(segreteria.getByTestId('riga-estratto').first()).toHaveAttribute('data-stato', 'PAGATO');
  await expect(segreteria.getByTestId('pagamento').first()).toContainText('IUV');
  await expectAccessible(segreteria);

  // The payments console lists the verified payment of this provider.
  await segreteria.goto('/segreteria/pagamenti');
  await expect(segreteria.getByRole('heading', { level: 1 })).toBeVisible();
  await expectAccessible(segreteria);
  await segreteria.getByRole('searchbox').first().fill(cf);
  await segreteria.getByRole('button', { name: 'Cerca' }).click();
  const paymentRow = segreteria.getByTestId('elenco-pagamenti').getByRole('row').filter({ hasText: cf });
  await expect(paymentRow).toContainText(provider);
  await paymentRow.getByRole('link').first().click();
  await expect(segreteria).toHaveURL(/\/segreteria\/pagamenti\/[^/]+$/);
  await expectAccessible(segreteria);
  await staff.close();

  // The provider sees the outcome and who decided, with the note.
  await page.reload();
  await expect(page.getByTestId('stato-domanda')).toHaveText('Accreditato');
  await expect(page.getByTestId('storico')).toContainText('Requisiti verificati');

  // Its statement of account: the quota paid with pagoPA, the IUV and the receipt.
  await page.getByRole('link', { name: 'Estratto conto' }).click();
  await expect(page).toHaveURL(/\/area\/estratto-conto$/);
  const quota = page.getByTestId('riga-estratto').first();
  await expect(quota).toHaveAttribute('data-stato', 'PAGATO');
  await expect(quota.getByTestId('pagamento')).toContainText('pagoPA');
  await expect(quota.getByRole('link', { name: 'Ricevuta telematica pagoPA (XML)' })).toBeVisible();
  const pdf = await page.request.get((await quota.getByTestId('ricevuta-pdf').getAttribute('href'))!);
  expect(pdf.status()).toBe(200);
  expect(pdf.headers()['content-type']).toBe('application/pdf');
  expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');
  await expect(page.getByTestId('totali-anno')).toContainText('€ 258,22');
  const csv = await page.request.get('/area/estratto-conto.csv');
  expect(csv.status()).toBe(200);
  expect(await csv.text()).toContain(';Pagato;');
  await expectAccessible(page);
});
