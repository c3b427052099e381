import { expect, test } from '@playwright/test';
import { expectAccessible, fillCensimento, register, uniqueCodiceFiscaleEnte, uniqueEmail, uploadAllRequiredDocuments } from './helpers';
import { accreditedProvider, declareEvent, segreteriaSession, takeInCharge } from './flows';

// What a provider owes (issue "What a provider owes"): an integration reopens only what the
// Segreteria chooses, every change of the provider's data is on record, a due date is extended
// with a reason and the provider sees it in its statement of account.

test('an integration reopens only the chosen section; the change is on record for the Segreteria', async ({ page, browser }) => {
  test.setTimeout(180_000);
  // A Gruppo A provider (no first-year fee) sends its request.
  const cf = uniqueCodiceFiscaleEnte();
  await register(page, uniqueEmail('integrazione'));
  await expect(page).toHaveURL(/\/area$/);
  await page.goto('/area/censimento');
  await fillCensimento(page, cf);
  await page.getByLabel('Forma giuridica').selectOption('AZIENDA_SANITARIA');
  await page.getByRole('button', { name: 'Salva e continua' }).click();
  await expect(page).toHaveURL(/\/area\/domanda$/);
  await page.getByRole('button', { name: 'Salva la bozza e continua' }).click();
  await expect(page).toHaveURL(/\/area$/);
  await uploadAllRequiredDocuments(page);
  await page.goto('/area');
  await page.getByRole('button', { name: 'Invia la domanda alla Segreteria ECM' }).click();
  await expect(page.getByTestId('stato-domanda')).toHaveText('Inviata');

  // The Segreteria takes it in charge and asks to correct the registered address only.
  const { staff, segreteria } = await segreteriaSession(browser, page);
  await takeInCharge(segreteria, cf);
  await expect(segreteria.getByTestId('dichiarato').first()).toContainText('Gruppo A');
  await segreteria.getByLabel('Documenti da integrare (obbligatorio)').fill('Il comune della sede legale è errato.');
  // Without a section the request is refused, in Italian.
  await segreteria.getByRole('button', { name: 'Richiedi integrazione' }).click();
  await expect(segreteria.getByTestId('errore')).toContainText('Sezioni da riaprire');
  await segreteria.getByLabel('Documenti da integrare (obbligatorio)').fill('Il comune della sede legale è errato.');
  // Bootstrap Italia draws the checkbox on its label: click the label, as a person does.
  await segreteria.locator('label[for=riapri-sede]').click();
  await expect(segreteria.getByTestId('sezioni-da-riaprire').getByLabel('Sede legale')).toBeChecked();
  await segreteria.getByRole('button', { name: 'Richiedi integrazione' }).click();
  await expect(segreteria.getByTestId('stato-domanda')).toHaveText('Integrazione richiesta');
  await expectAccessible(segreteria);

  // The provider may change the address, not its identity.
  await page.goto('/area');
  await expect(page.getByTestId('sezioni-riaperte')).toHaveText('Sede legale');
  await page.goto('/area/censimento');
  await expect(page.getByTestId('sezioni-modificabili')).toContainText('Sede legale');
  await expect(page.getByLabel('Denominazione')).toBeDisabled();
  await expect(page.getByLabel('Forma giuridica')).toBeDisabled();
  await expect(page.getByLabel('Comune')).toBeEnabled();
  await page.getByLabel('Comune').fill('Padova');
  await page.getByLabel('Provincia').fill('PD');
  await page.getByLabel('CAP').fill('35121');
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Salva e continua' }).click();
  await expect(page).toHaveURL(/\/area\/domanda$/);
  await page.goto('/area');
  await page.getByRole('button', { name: "Invia l'integrazione" }).click();
  await expect(page.getByTestId('stato-domanda')).toHaveText('In istruttoria');

  // The Segreteria sees what changed, who changed it and when.
  await segreteria.reload();
  await expect(segreteria.getByTestId('stato-domanda')).toHaveText('In istruttoria');
  const changes = segreteria.getByTestId('modifiche-provider');
  await expect(changes).toContainText('Comune');
  await expect(changes).toContainText('Venezia → Padova');
  await expect(changes).toContainText('Integrazione richiesta dalla Segreteria');
  await staff.close();
});

test('the Segreteria extends an overdue event fee with a reason and the provider sees it in its statement', async ({ page, browser }) => {
  test.setTimeout(240_000);
  const cf = await accreditedProvider(page, browser, 'proroga');
  await page.goto('/area/eventi');
  // An event that ended four months ago: its fee (due 90 days after the end) is overdue.
  const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
  const year = new Date().getFullYear();
  const title = `Corso concluso ${Date.now()}`;
  await declareEvent(page, title, 'RES', day(121), day(120), true);
  await expect(page.getByTestId('evento').filter({ hasText: title })).toHaveCount(1);
  await page.goto('/area/estratto-conto');
  const line = page.getByTestId('riga-estratto').filter({ hasText: title });
  await expect(line.getByTestId('ritardo')).toContainText('Scaduto da');
  await expectAccessible(page);

  // The Segreteria finds it in the overdue queue and extends it.
  const { staff, segreteria } = await segreteriaSession(browser, page);
  await segreteria.goto(`/segreteria/dovuti?stato=SCADUTI&cerca=${cf}`);
  const row = segreteria.getByTestId('dovuto').filter({ hasText: title });
  await expect(row.getByTestId('giorni-ritardo')).toContainText('Scaduto da');
  await expectAccessible(segreteria);
  await row.getByRole('link').first().click();
  const form = segreteria.getByTestId('proroga-dovuto');
  // An earlier date is refused, in Italian, and what was typed stays.
  await form.getByLabel('Nuova scadenza').fill(day(200));
  await form.getByLabel('Motivo della proroga').fill('Richiesta del provider per ritardo della fattura');
  await form.getByRole('button', { name: 'Proroga la scadenza' }).click();
  await expect(segreteria.getByText('La nuova scadenza deve essere successiva a quella attuale.').first()).toBeVisible();
  await expect(form.getByLabel('Motivo della proroga')).toHaveValue('Richiesta del provider per ritardo della fattura');
  await form.getByLabel('Nuova scadenza').fill(`${year + 1}-06-30`);
  await form.getByRole('button', { name: 'Proroga la scadenza' }).click();
  await expect(segreteria.getByTestId('proroga-registrata')).toBeVisible();
  await expect(segreteria.getByTestId('scadenza')).toHaveText(`30/06/${year + 1}`);
  await expect(segreteria.getByTestId('storia-dovuto')).toContainText(`Scadenza prorogata`);
  await expect(segreteria.getByTestId('storia-dovuto')).toContainText('ritardo della fattura');
  await expectAccessible(segreteria);
  await staff.close();

  // The provider sees the new date and why; it is no longer overdue.
  await page.goto('/area/estratto-conto');
  await expect(line.getByTestId('scadenza')).toHaveText(`30/06/${year + 1}`);
  await expect(line.getByTestId('proroga')).toContainText('ritardo della fattura');
  await expect(line.getByTestId('ritardo')).toHaveCount(0);
});
