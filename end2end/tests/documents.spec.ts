import { expect, Page, test } from '@playwright/test';
import { expectAccessible, fillCensimento, pdfBuffer, register, uniqueCodiceFiscaleEnte, uniqueEmail } from './helpers';



async function providerWithDraft(page: Page): Promise<void> {
  await register(page, uniqueEmail('doc'));
  await expect(page).toHaveURL(/\/area$/);
  await page.goto('/area/censimento');
  await fillCensimento(page, uniqueCodiceFiscaleEnte());
  await page.getByRole('button', { name: 'Salva e continua' }).click();
  await expect(page).toHaveURL(/\/area\/domanda$/);
  await page.getByRole('button', { name: 'Salva la bozza e continua' }).click();
  await expect(page).toHaveURL(/\/area$/);
  await page.getByRole('link', { name: 'Documenti della domanda' }).first().click();
  await expect(page).toHaveURL(/\/area\/documenti$/);
}

test('a provider uploads, replaces and downloads a PDF; bad files are refused in Italian', async ({ page }) => {
  await providerWithDraft(page);
  await expect(page.getByTestId('documenti-mancanti')).toContainText('Piano della qualità');
  await expectAccessible(page);

  const slot = page.getByTestId('slot-PIANO_QUALITA');
  await slot.getByLabel(/Scegli il file PDF/).setInputFiles({ name: 'piano.pdf', mimeType: 'application/pdf', buffer: pdfBuffer(50_000) });
  await slot.getByRole('button', { name: 'Carica', exact: true }).click();
  await expect(slot.getByTestId('documento-corrente')).toContainText('piano.pdf');

  // A file that only claims to be a PDF.
  await slot.getByLabel(/Sostituisci con un altro PDF/).setInputFiles({ name: 'finto.pdf', mimeType: 'application/pdf', buffer: Buffer.from('PK\u0003\u0004 zip') });
  await slot.getByRole('button', { name: 'Sostituisci', exact: true }).click();
  await expect(page.getByTestId('esito-caricamento').first()).toContainText('Il file non è un PDF');
  await expect(slot.getByTestId('documento-corrente')).toContainText('piano.pdf');

  // Larger than the 2 MB limit.
  await slot.getByLabel(/Sostituisci con un altro PDF/).setInputFiles({ name: 'enorme.pdf', mimeType: 'application/pdf', buffer: pdfBuffer(2_200_000) });
  await slot.getByRole('button', { name: 'Sostituisci', exact: true }).click();
  await expect(page.getByTestId('esito-caricamento').first()).toContainText('supera la dimensione massima di 2 MB');
  await expect(slot.getByTestId('documento-corrente')).toContainText('piano.pdf');

  // Replace: the old version stays in the history.
  await slot.getByLabel(/Sostituisci con un altro PDF/).setInputFiles({ name: 'piano-v2.pdf', mimeType: 'application/pdf', buffer: pdfBuffer(60_000) });
  await slot.getByRole('button', { name: 'Sostituisci', exact: true }).click();
  await expect(slot.getByTestId('documento-corrente')).toContainText('piano-v2.pdf');
  await expect(slot.getByText('Versioni precedenti (1)')).toBeVisible();

  const download = page.waitForEvent('download');
  await slot.getByTestId('documento-corrente').getByRole('link', { name: 'piano-v2.pdf' }).click();
  expect((await download).suggestedFilename()).toBe('piano-v2.pdf');
  await expectAccessible(page);
});
