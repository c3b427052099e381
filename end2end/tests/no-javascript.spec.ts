import { expect, test } from '@playwright/test';
import { PASSWORD, uniqueEmail } from './helpers';

// The server-rendered pages work without JavaScript: forms post to server functions.
test.use({ javaScriptEnabled: false });

test('without JavaScript a provider registers, sees a wrong-password error and logs in', async ({ page }) => {
  const email = uniqueEmail('nojs');
  await page.goto('/registrazione');
  await page.getByLabel('Nome e cognome del referente').fill('Paolo Neri');
  await page.getByLabel('E-mail').fill(email);
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
  await page.getByLabel('Conferma password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Registrati' }).click();
  await expect(page.getByTestId('registrazione-inviata')).toBeVisible();

  await page.goto('/accedi');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill('PasswordSbagliata1');
  await page.getByRole('button', { name: 'Accedi', exact: true }).last().click();
  await expect(page.getByTestId('errore')).toHaveText('E-mail o password non corretti.');

  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Accedi', exact: true }).last().click();
  await expect(page).toHaveURL(/\/area$/);
  await expect(page.getByTestId('benvenuto')).toContainText('Paolo Neri');
});
