import { expect, test } from '@playwright/test';
import { expectAccessible, fillCensimento, register, uniqueCodiceFiscaleEnte, uniqueEmail } from './helpers';

test('a Gruppo B provider pays the annual fee with pagoPA and sees the payment verified', async ({ page }) => {
  // Register, censimento, draft request.
  await register(page, uniqueEmail('pay'));
  await expect(page).toHaveURL(/\/area$/);
  await page.goto('/area/censimento');
  await fillCensimento(page, uniqueCodiceFiscaleEnte());
  await page.getByRole('button', { name: 'Salva e continua' }).click();
  await expect(page).toHaveURL(/\/area\/domanda$/);
  await page.getByLabel(/Accreditamento provvisorio/).check();
  await page.getByRole('button', { name: 'Salva la bozza e continua' }).click();
  await expect(page).toHaveURL(/\/area$/);

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
});
