import { expect, test } from '@playwright/test';
import { simulator } from '../playwright.config';
import { expectAccessible, idSessionOfLanding, providerReadyToPay } from './helpers';

test('a cancelled payment gives the fee back and "Riprova" pays it with a new cart', async ({ page }) => {
  await providerReadyToPay(page, 'cancel');
  await page.getByRole('button', { name: 'Paga con pagoPA' }).click();
  await expect(page).toHaveURL(/\/public\/landing\/inviaDovuti\?id=/);
  const first = await idSessionOfLanding(page, simulator.base);
  await page.getByRole('button', { name: 'Annulla' }).click();
  await expect(page).toHaveURL(/\/pagamenti\/ritorno\?idSession=[^&]+&esito=ERROR/);
  await expect(page.getByTestId('esito-mypay')).toContainText('esito ERROR');
  // In pagoPA Checkout mode MyPay keeps the cancelled cart "not started" until it expires:
  // the simulator is asked to let that time pass.
  expect((await page.request.post(`${simulator.base}/admin/sessions/${first}/expire`)).ok()).toBeTruthy();
  await expect(page.getByTestId('stato-verifica')).toContainText('Pagamento non riuscito', { timeout: 45_000 });
  await expectAccessible(page);

  await page.getByRole('link', { name: 'Riprova' }).click();
  await expect(page).toHaveURL(/\/area\/pagamento$/);
  await page.getByRole('button', { name: 'Paga con pagoPA' }).click();
  await expect(page).toHaveURL(/\/public\/landing\/inviaDovuti\?id=/);
  const second = await idSessionOfLanding(page, simulator.base);
  expect(second).not.toBe(first);
  await page.getByRole('button', { name: 'Paga', exact: true }).click();
  // The receipt comes 3 s after paying; the page polls once it has hydrated (the debug bundle is
  // large: on a loaded machine that alone can take many seconds).
  await expect(page.getByTestId('stato-verifica')).toContainText('Pagamento verificato', { timeout: 60_000 });

  // Two attempts, each with its own IUDs; only the second paid.
  await page.goto('/area/pagamenti');
  await expect(page.getByTestId('pagamento')).toHaveCount(2);
  await expect(page.getByTestId('stato-dovuto').filter({ hasText: /^PAGATO$/ })).toHaveCount(1);
  await expect(page.getByTestId('stato-dovuto').filter({ hasText: 'NON PAGATO' })).toHaveCount(1);
});

test('a forged return with esito=OK for an unpaid cart marks nothing paid', async ({ page }) => {
  await providerReadyToPay(page, 'forged');
  await page.getByRole('button', { name: 'Paga con pagoPA' }).click();
  await expect(page).toHaveURL(/\/public\/landing\/inviaDovuti\?id=/);
  const idSession = await idSessionOfLanding(page, simulator.base);

  // The user never pays, but comes back with a hand-made URL claiming success.
  await page.goto(`/pagamenti/ritorno?idSession=${encodeURIComponent(idSession)}&esito=OK&pollingToken=x`);
  await expect(page.getByTestId('esito-mypay')).toContainText('esito OK');
  await expect(page.getByTestId('stato-verifica')).toContainText('Verifica del pagamento in corso');
  await page.waitForTimeout(5_000);
  await expect(page.getByTestId('stato-verifica')).not.toContainText('Pagamento verificato');
  await page.goto('/area/pagamenti');
  await expect(page.getByTestId('stato-dovuto').first()).not.toHaveText('PAGATO');
  await page.goto('/area');
  await expect(page.getByRole('button', { name: 'Invia la domanda alla Segreteria ECM' })).toHaveCount(0);
});

test('a provider who closes the tab after paying still finds the payment verified', async ({ page }) => {
  await providerReadyToPay(page, 'closed');
  await page.getByRole('button', { name: 'Paga con pagoPA' }).click();
  await expect(page).toHaveURL(/\/public\/landing\/inviaDovuti\?id=/);
  const idSession = await idSessionOfLanding(page, simulator.base);
  const context = page.context();

  // Paid on pagoPA, but the browser never comes back to the portal: the tab is closed.
  expect((await page.request.post(`${simulator.base}/admin/sessions/${idSession}/pay`)).ok()).toBeTruthy();
  await page.close();

  // Later, in a new tab: the portal's reconciler has verified the payment with MyPay by itself.
  const later = await context.newPage();
  await expect(async () => {
    await later.goto('/area/pagamenti');
    await expect(later.getByTestId('stato-dovuto').first()).toHaveText('PAGATO', { timeout: 2_000 });
  }).toPass({ timeout: 60_000, intervals: [2_000, 5_000] });
});
