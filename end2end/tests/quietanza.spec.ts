import { expect, Page, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { databasePath } from '../playwright.config';
import { expectAccessible, pdfBuffer, screenshots } from './helpers';
import { accreditedProvider, segreteriaSession } from './flows';

const year = new Date().getFullYear();

/** The passage of a year, which a test cannot wait for: the provider's accreditation moves to
 *  last year and this year's quota is written as the daily pass of 1 January writes it (Gruppo A,
 *  band up to 30 events, € 3.000,00, due 31 July), with its CREATO event. Everything after this
 *  is the UI. */
function secondYear(cf: string): void {
  const script = `
import sqlite3, sys, uuid
db, cf, year = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = sqlite3.connect(db, timeout=30)
provider = con.execute("SELECT id FROM providers WHERE codice_fiscale = ?", (cf,)).fetchone()[0]
con.execute("""UPDATE request_history SET at = ? || substr(at, 5) WHERE to_state = 'ACCREDITATO'
               AND request_id IN (SELECT id FROM accreditation_requests WHERE provider_id = ?)""", (str(year - 1), provider))
now = f'{year}-01-01T00:00:00.000Z'  # the daily pass of 1 January
debt = uuid.uuid4().hex
con.execute("""INSERT INTO debts (id, provider_id, fee_kind, tariff_id, causale, amount_cents, due_date, state,
               reference_year, created_at, updated_at)
               VALUES (?, ?, 'QUOTA_ANNUALE', 't-qa-a-f30', ?, 300000, ?, 'DA_PAGARE', ?, ?, ?)""",
            (debt, provider, f'Quota annuale accreditamento provider ECM - anno {year}', f'{year}-07-31', year, now, now))
con.execute("""INSERT INTO debt_events (id, debt_id, at, actor, kind, to_value, reason)
               VALUES (?, ?, ?, 'system', 'CREATO', '300000', ?)""", (uuid.uuid4().hex, debt, now, f'quota annuale {year} (Gruppo A, FASCIA_FINO_30)'))
con.commit()
`;
  execFileSync('python3', ['-c', script, databasePath, cf, String(year)]);
}

/** On a phone (390 px) the page does not scroll sideways; captured when E2E_SCREENSHOTS is set. */
async function fitsAPhone(page: Page): Promise<void> {
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth), page.url()).toBeLessThanOrEqual(390);
  await page.setViewportSize({ width: 1366, height: 768 });
  await screenshots(page);
}

test('a Gruppo A provider in its second year pays its quota by quietanza, the Segreteria accepts it and events unlock', async ({ page, browser }) => {
  test.setTimeout(120_000);
  const cf = await accreditedProvider(page, browser, 'ulss', 'AZIENDA_SANITARIA');
  secondYear(cf);

  // The year's events wait for the quota.
  await page.goto('/area/eventi');
  await expect(page.getByText(`Quota annuale ${year} da pagare`)).toBeVisible();
  await expect(page.getByTestId('form-evento')).toHaveCount(0);

  // From the cart page to the treasury channel (on by default for Gruppo A).
  await page.goto('/area/pagamento');
  await expect(page.getByTestId('totale')).toHaveText('€ 3.000,00');
  await page.getByTestId('canale-quietanza').getByRole('link', { name: 'Paga con quietanza' }).click();
  await expect(page).toHaveURL(/\/area\/quietanza$/);
  await expectAccessible(page);

  // A typo comes back with a message by the field and everything typed kept.
  const form = page.getByTestId('form-quietanza');
  await form.getByLabel('Data valuta del bonifico').fill(`${year}-07-15`);
  await form.getByLabel('Importo pagato (euro)').fill('3.000,00');
  await form.getByLabel('CRO / TRN').fill('12-34');
  await form.getByLabel('Quietanza (PDF)').setInputFiles({ name: 'quietanza.pdf', mimeType: 'application/pdf', buffer: pdfBuffer(5_000) });
  await form.getByRole('button', { name: 'Invia la quietanza' }).click();
  await expect(page.getByTestId('errore')).toContainText('correggi i campi evidenziati');
  await expect(page.locator('#cro_trn-errore')).toContainText('CRO/TRN');
  await expect(form.getByLabel('Importo pagato (euro)')).toHaveValue('3.000,00');
  await expect(form.getByLabel('Ente pagante')).toHaveValue('Società Veneta di Formazione');
  await fitsAPhone(page);

  await form.getByLabel('CRO / TRN').fill('A1B2C3D4E5F6G7H8');
  await form.getByLabel('Quietanza (PDF)').setInputFiles({ name: 'quietanza.pdf', mimeType: 'application/pdf', buffer: pdfBuffer(5_000) });
  await form.getByRole('button', { name: 'Invia la quietanza' }).click();
  await expect(page.getByTestId('quietanza-inviata')).toBeVisible();
  await expect(page.getByTestId('quietanza').first().getByTestId('stato-quietanza')).toHaveText('In verifica dalla Segreteria');

  // The Segreteria finds it in its queue and accepts it beside the debt.
  const { staff, segreteria } = await segreteriaSession(browser, page);
  await segreteria.goto('/segreteria/dovuti?stato=QUIETANZE');
  await segreteria.getByTestId('dovuto').filter({ hasText: cf }).getByRole('link').first().click();
  const review = segreteria.getByTestId('quietanza-segreteria');
  await expect(review.getByTestId('cro')).toHaveText('A1B2C3D4E5F6G7H8');
  await expect(review.getByTestId('nessuna-differenza')).toBeVisible();
  await fitsAPhone(segreteria);
  await review.getByRole('button', { name: 'Accetta la quietanza' }).click();
  await expect(segreteria.getByTestId('quietanza-decisa')).toContainText('Quietanza accettata');
  await expect(segreteria.getByTestId('stato-dovuto')).toHaveText('Pagato');
  await staff.close();

  // Events unlock exactly as after a pagoPA payment; the statement says how it was paid.
  await page.goto('/area/eventi');
  await expect(page.getByTestId('form-evento')).toBeVisible();
  await page.goto('/area/estratto-conto');
  const quota = page.getByTestId('riga-estratto').filter({ hasText: `anno ${year}` });
  await expect(quota).toHaveAttribute('data-stato', 'PAGATO');
  await expect(quota.getByTestId('pagamento')).toContainText('Bonifico di tesoreria');
  const receipt = await page.request.get((await quota.getByTestId('ricevuta-pdf').getAttribute('href'))!);
  expect(receipt.status()).toBe(200);
  expect(receipt.headers()['content-type']).toBe('application/pdf');
  await expectAccessible(page);
});
