import { expect, Page, test } from '@playwright/test';
import { admin } from '../playwright.config';
import {
  expectAccessible,
  fillCensimento,
  login,
  register,
  uniqueCodiceFiscaleEnte,
  uniqueEmail,
  uploadAllRequiredDocuments,
} from './helpers';

/** YYYY-MM-DD, `days` from today (UTC, the portal's clock for tariffs and debts). */
function isoDay(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** DD/MM/YYYY as the pages show dates. */
function itDay(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${d}/${m}/${y}`;
}

async function screenshots(page: Page, name: string): Promise<void> {
  for (const [width, height] of [[1366, 768], [390, 844]]) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: test.info().outputPath(`${name}-${width}x${height}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 720 });
}

// A case no other spec pays (Gruppo A, more than 120 events), and a start in the future, so the
// amounts other specs see today never change.
const CASE = 'Gruppo A, anni successivi, oltre 120 eventi';

test('the Segreteria adds a future tariff version, sees the history, and a bad amount shows the Italian error', async ({ page }) => {
  const from = isoDay(30);
  await login(page, admin.email, admin.password);
  await expect(page).toHaveURL(/\/segreteria$/);
  await page.getByRole('link', { name: 'Tariffe', exact: true }).click();
  await expect(page).toHaveURL(/\/segreteria\/tariffe$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Tariffe' })).toBeVisible();
  const row = page.getByTestId('tariffa-QUOTA_ANNUALE-A-FASCIA_OLTRE_120');
  await expect(row.getByTestId('importo-in-vigore')).toContainText('€ 13.000,00');
  await expect(page.getByTestId('tariffa-QUOTA_ANNUALE-B-PRIMO_ANNO').getByTestId('importo-in-vigore')).toContainText('€ 258,22');
  await expect(page.getByTestId('tariffe-CONTRIBUTO_EVENTO')).toContainText('€ 1.500,00');
  await expectAccessible(page);
  await screenshots(page, 'tariffe');

  await row.getByRole('link', { name: `Storico e nuova tariffa: ${CASE}` }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Quota annuale — ${CASE}`);
  await expect(page.getByTestId('versione')).toHaveCount(1);

  // Three decimals: refused with the Italian message, and what was typed stays in the form.
  await page.getByLabel('Importo in euro').fill('13.500,555');
  await page.getByLabel('Valido dal').fill(from);
  await page.getByRole('button', { name: 'Registra la nuova tariffa' }).click();
  await expect(page.locator('#amount-errore')).toHaveText("L'importo può avere al massimo due decimali (i centesimi).");
  await expect(page.getByLabel('Importo in euro')).toHaveValue('13.500,555');
  await expect(page.getByLabel('Valido dal')).toHaveValue(from);
  await expectAccessible(page);

  // A start in the past is refused too.
  await page.getByLabel('Importo in euro').fill('13.500,00');
  await page.getByLabel('Valido dal').fill(isoDay(-1));
  await page.getByRole('button', { name: 'Registra la nuova tariffa' }).click();
  await expect(page.getByTestId('errore')).toContainText('non può iniziare nel passato');
  await expect(page.getByTestId('versione')).toHaveCount(1);

  // A correct amount from a future date: a new version; the current one ends the day before.
  await page.getByLabel('Importo in euro').fill('13.500,00');
  await page.getByLabel('Valido dal').fill(from);
  await page.getByRole('button', { name: 'Registra la nuova tariffa' }).click();
  await expect(page.getByTestId('tariffa-registrata')).toContainText(`€ 13.500,00 dal ${itDay(from)}`);
  const versions = page.getByTestId('versione');
  await expect(versions).toHaveCount(2);
  await expect(versions.nth(0)).toContainText('€ 13.500,00');
  await expect(versions.nth(0)).toContainText('Futura');
  await expect(versions.nth(0)).toContainText('Segreteria ECM');
  await expect(versions.nth(1)).toContainText(`al ${itDay(isoDay(29))}`);
  await expect(versions.nth(1)).toContainText('In vigore');
  await expect(page.getByTestId('tariffa-in-vigore')).toContainText('€ 13.000,00');
  await expectAccessible(page);
  await screenshots(page, 'tariffa');

  // The table still shows today's amount, with the future version in the history.
  await page.getByRole('link', { name: '← Torna alle tariffe' }).click();
  await expect(row.getByTestId('importo-in-vigore')).toContainText('€ 13.000,00');
  await expect(row.locator('[data-testid="storico"]:visible')).toContainText(`€ 13.500,00 dal ${itDay(from)}`);
});

test('the Segreteria annuls an unpaid debt with a reason and the provider sees why', async ({ page, browser }) => {
  const cf = uniqueCodiceFiscaleEnte();
  await register(page, uniqueEmail('annullo'));
  await expect(page).toHaveURL(/\/area$/);
  await page.goto('/area/censimento');
  await fillCensimento(page, cf);
  await page.getByRole('button', { name: 'Salva e continua' }).click();
  await expect(page).toHaveURL(/\/area\/domanda$/);
  await page.getByRole('button', { name: 'Salva la bozza e continua' }).click();
  await expect(page).toHaveURL(/\/area$/);
  await uploadAllRequiredDocuments(page);
  await page.goto('/area/pagamento');
  await expect(page.getByTestId('totale')).toHaveText('€ 258,22');

  const staff = await browser.newContext({ baseURL: new URL(page.url()).origin, locale: 'it-IT' });
  const segreteria = await staff.newPage();
  await login(segreteria, admin.email, admin.password);
  await expect(segreteria).toHaveURL(/\/segreteria$/);
  await segreteria.getByRole('link', { name: 'Dovuti', exact: true }).click();
  await expect(segreteria).toHaveURL(/\/segreteria\/dovuti$/);
  await segreteria.getByLabel('Cerca per provider, codice fiscale / P.IVA o causale').fill(cf);
  await segreteria.getByRole('button', { name: 'Cerca' }).click();
  // While the search loads, the list still shows every debt: the row is found by its provider.
  const debtRow = segreteria.getByTestId('dovuto').filter({ hasText: cf });
  await expect(debtRow).toContainText('€ 258,22');
  await expectAccessible(segreteria);
  await debtRow.getByRole('link').first().click();
  await expect(segreteria.getByTestId('stato-dovuto')).toHaveText('Da pagare');

  // The reason is mandatory.
  await segreteria.getByRole('button', { name: 'Annulla il dovuto' }).click();
  await expect(segreteria.locator('#reason-errore')).toHaveText("Il campo «Motivo dell'annullamento» è obbligatorio.");
  await expectAccessible(segreteria);
  const reason = 'Contributo non dovuto: esenzione deliberata';
  await segreteria.getByLabel("Motivo dell'annullamento").fill(reason);
  await segreteria.getByRole('button', { name: 'Annulla il dovuto' }).click();
  await expect(segreteria.getByTestId('stato-dovuto')).toHaveText('Annullato');
  await expect(segreteria.getByTestId('annullamento')).toContainText(reason);
  await expect(segreteria.getByTestId('annullamento')).toContainText('Segreteria ECM');
  await expectAccessible(segreteria);
  await staff.close();

  await page.goto('/area/pagamenti');
  await expect(page.getByTestId('dovuto-annullato')).toContainText('€ 258,22');
  await expect(page.getByTestId('motivo-annullamento')).toHaveText(reason);
  await expectAccessible(page);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('a refused tariff comes back with the Italian error and what was typed', async ({ page }) => {
    await login(page, admin.email, admin.password);
    await expect(page).toHaveURL(/\/segreteria$/);
    await page.goto('/segreteria/tariffe/CONTRIBUTO_EVENTO-A-EVENTO_FAD');
    await page.getByLabel('Importo in euro').fill('-10');
    await page.getByLabel('Valido dal').fill(isoDay(40));
    await page.getByRole('button', { name: 'Registra la nuova tariffa' }).click();
    await expect(page.locator('#amount-errore')).toHaveText("L'importo non può essere negativo.");
    await expect(page.getByLabel('Importo in euro')).toHaveValue('-10');
    await expect(page.getByLabel('Valido dal')).toHaveValue(isoDay(40));
    await expect(page.getByTestId('versione')).toHaveCount(1);
  });
});
