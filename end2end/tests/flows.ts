import { Browser, BrowserContext, expect, Page } from '@playwright/test';
import { admin } from '../playwright.config';
import { fillCensimento, login, register, uniqueCodiceFiscaleEnte, uniqueEmail, uploadAllRequiredDocuments } from './helpers';

// Whole steps of the provider's and the Segreteria's flows, shared by several specs.

/** A browser context of the Segreteria's own (beside the provider's `page`), logged in on its console. */
export async function segreteriaSession(browser: Browser, page: Page): Promise<{ staff: BrowserContext; segreteria: Page }> {
  const staff = await browser.newContext({ baseURL: new URL(page.url()).origin, locale: 'it-IT' });
  const segreteria = await staff.newPage();
  await login(segreteria, admin.email, admin.password);
  await expect(segreteria).toHaveURL(/\/segreteria$/);
  return { staff, segreteria };
}

/** Opens the request of the provider with codice fiscale `cf` from the queue on screen. Many
 * providers of a run share a name, and while a new search loads the queue still shows the
 * previous rows: the row is found by its codice fiscale, never as "the first link". */
export async function openRequestRow(segreteria: Page, cf: string): Promise<void> {
  await segreteria.getByTestId('elenco-domande').getByRole('row').filter({ hasText: cf }).getByRole('link').click();
}

/** The Segreteria finds the request of the provider with codice fiscale `cf` and takes it in charge. */
export async function takeInCharge(segreteria: Page, cf: string): Promise<void> {
  await segreteria.getByLabel('Cerca per denominazione, codice fiscale o partita IVA').fill(cf);
  await segreteria.getByRole('button', { name: 'Cerca' }).click();
  await openRequestRow(segreteria, cf);
  await segreteria.getByRole('button', { name: 'Prendi in carico' }).click();
  await expect(segreteria.getByTestId('stato-domanda')).toHaveText('In istruttoria');
}

/** Pays the cart shown on /area/pagamento in the simulator and waits for the verification. */
export async function payShownCart(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Paga con pagoPA' }).click();
  await expect(page).toHaveURL(/\/public\/landing\/inviaDovuti\?id=/);
  await page.getByRole('button', { name: 'Paga', exact: true }).click();
  await expect(page).toHaveURL(/\/pagamenti\/ritorno\?idSession=[^&]+&esito=OK/);
  await expect(page.getByTestId('stato-verifica')).toContainText('Pagamento verificato', { timeout: 30_000 });
}

/** A provider taken to ACCREDITATO: documents, first-year fee paid and verified (Gruppo B;
 *  Gruppo A owes none the first year), request sent, the Segreteria takes it in charge and
 *  accredits it (second browser context). `forma` is the legal form, which sets the Gruppo. */
export async function accreditedProvider(page: Page, browser: Browser, tag: string, forma = 'SOCIETA_SCIENTIFICA'): Promise<string> {
  const cf = uniqueCodiceFiscaleEnte();
  await register(page, uniqueEmail(tag));
  await expect(page).toHaveURL(/\/area$/);
  await page.goto('/area/censimento');
  await fillCensimento(page, cf, forma);
  await page.getByRole('button', { name: 'Salva e continua' }).click();
  await expect(page).toHaveURL(/\/area\/domanda$/);
  await page.getByRole('button', { name: 'Salva la bozza e continua' }).click();
  await expect(page).toHaveURL(/\/area$/);
  await uploadAllRequiredDocuments(page);
  await page.goto('/area/pagamento');
  if (forma === 'AZIENDA_SANITARIA') {
    await expect(page.getByTestId('niente-da-pagare')).toBeVisible();
  } else {
    await expect(page.getByTestId('totale')).toHaveText('€ 258,22');
    await payShownCart(page);
  }
  await page.goto('/area');
  // Before accreditation the training plan explains why it is not available.
  await page.goto('/area/eventi');
  await expect(page.getByTestId('non-accreditato')).toBeVisible();
  await page.goto('/area');
  await page.getByRole('button', { name: 'Invia la domanda alla Segreteria ECM' }).click();
  await expect(page.getByTestId('stato-domanda')).toHaveText('Inviata');

  const { staff, segreteria } = await segreteriaSession(browser, page);
  await takeInCharge(segreteria, cf);
  await segreteria.getByRole('button', { name: /^Conferma il Gruppo/ }).click();
  await expect(segreteria.getByTestId('gruppo')).toContainText('confermato dalla Segreteria');
  await segreteria.getByRole('button', { name: 'Accredita' }).click();
  await expect(segreteria.getByTestId('stato-domanda')).toHaveText('Accreditato');
  await staff.close();

  await page.goto('/area');
  await expect(page.getByTestId('stato-domanda')).toHaveText('Accreditato');
  return cf;
}

export async function declareEvent(page: Page, title: string, procedure: 'RES' | 'FSC' | 'FAD', start: string, end: string, sponsored: boolean): Promise<void> {
  const form = page.getByTestId('form-evento');
  await form.getByLabel("Titolo dell'evento").fill(title);
  await form.getByLabel("Tipologia dell'evento").selectOption(procedure);
  await form.getByLabel('Data di inizio').fill(start);
  await form.getByLabel('Data di fine').fill(end);
  // Bootstrap Italia draws the radio on its label: click the label, as a person does.
  await form.locator(`label[for=sponsorizzato-${sponsored ? 'si' : 'no'}]`).click();
  await expect(form.getByLabel(sponsored ? 'Sì' : 'No', { exact: true })).toBeChecked();
  await form.getByRole('button', { name: "Inserisci l'evento" }).click();
}

