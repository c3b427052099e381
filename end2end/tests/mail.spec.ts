import { expect, test } from '@playwright/test';
import { expectAccessible, linkIn, login, mailTo, PASSWORD, register, uniqueEmail } from './helpers';

// The portal's mail, end to end: the real server sends over SMTP to the project's sink, and the
// spec reads each message from the sink's HTTP API as a person would read their mailbox.

test('a provider confirms the address and resets a forgotten password from the mails', async ({ page, browser }) => {
  const email = uniqueEmail('posta');
  await register(page, email);
  await expect(page).toHaveURL(/\/area$/);
  await expect(page.getByTestId('verifica-email')).toBeVisible();

  // The verification mail: its link asks for a click (a mail scanner opening it does nothing).
  const verify = await mailTo(page, email, 'Conferma il tuo indirizzo e-mail');
  await page.goto(linkIn(verify, '/verifica-email'));
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Conferma indirizzo' }).click();
  await expect(page.getByTestId('email-verificata')).toBeVisible();
  await page.goto('/area');
  await expect(page.getByTestId('benvenuto')).toBeVisible();
  await expect(page.getByTestId('verifica-email')).toHaveCount(0);

  // Another browser, still logged in, loses its session at the reset.
  const other = await browser.newContext({ baseURL: new URL(page.url()).origin, locale: 'it-IT' });
  const otherPage = await other.newPage();
  await login(otherPage, email, PASSWORD);
  await expect(otherPage).toHaveURL(/\/area$/);

  await page.getByRole('button', { name: 'Esci' }).click();
  await page.goto('/accedi');
  await page.getByRole('link', { name: 'Password dimenticata?' }).click();
  await expect(page).toHaveURL(/\/password-dimenticata$/);
  await expectAccessible(page);
  await page.getByLabel('E-mail').fill(email);
  await page.getByRole('button', { name: 'Invia il link' }).click();
  await expect(page.getByTestId('reset-inviato')).toBeVisible();

  const reset = await mailTo(page, email, 'Reimposta la password');
  const link = linkIn(reset, '/reimposta-password');
  await page.goto(link);
  await expectAccessible(page);
  const newPassword = 'Nuova2026password';
  await page.getByRole('textbox', { name: 'Nuova password', exact: true }).fill(newPassword);
  await page.getByLabel('Conferma la nuova password').fill('Diversa2026password');
  await expect(page.getByText('Le due password non coincidono.')).toBeVisible();
  await page.getByLabel('Conferma la nuova password').fill(newPassword);
  await page.getByRole('button', { name: 'Salva la nuova password' }).click();
  await expect(page).toHaveURL(/\/accedi\?password=reimpostata$/);
  await expect(page.getByTestId('password-reimpostata')).toBeVisible();

  await login(page, email, newPassword);
  await expect(page).toHaveURL(/\/area$/);
  await otherPage.goto('/area');
  await expect(otherPage.getByRole('link', { name: 'Accedi' }).first()).toBeVisible();

  // The same link a second time: an Italian explanation and a way to ask for a new one.
  const again = await browser.newPage();
  await again.goto(link);
  await again.getByRole('textbox', { name: 'Nuova password', exact: true }).fill('Terza2026password');
  await again.getByLabel('Conferma la nuova password').fill('Terza2026password');
  await again.getByRole('button', { name: 'Salva la nuova password' }).click();
  await expect(again.getByTestId('errore')).toContainText('Il link non è valido');
  await expect(again.getByRole('link', { name: 'Chiedi un nuovo link' })).toBeVisible();
  await other.close();
});

test('a provider changes the password and logs out everywhere from the account page', async ({ page, browser }) => {
  const email = uniqueEmail('account');
  await register(page, email);
  await expect(page).toHaveURL(/\/area$/);
  const other = await browser.newContext({ baseURL: new URL(page.url()).origin, locale: 'it-IT' });
  const otherPage = await other.newPage();
  await login(otherPage, email, PASSWORD);
  await expect(otherPage).toHaveURL(/\/area$/);

  await page.getByTestId('link-account').click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('account-email')).toHaveText(email);
  await expectAccessible(page);
  await page.getByLabel('Password attuale').fill('Sbagliata2026');
  await page.getByRole('textbox', { name: 'Nuova password', exact: true }).fill('Cambiata2026pw');
  await page.getByLabel('Conferma la nuova password').fill('Cambiata2026pw');
  await page.getByRole('button', { name: 'Cambia la password' }).click();
  await expect(page.getByTestId('errore')).toContainText('La password attuale non è corretta');

  await page.getByLabel('Password attuale').fill(PASSWORD);
  await page.getByRole('button', { name: 'Cambia la password' }).click();
  await expect(page.getByTestId('password-cambiata')).toBeVisible();
  // This browser stays logged in; the other one is out.
  await page.goto('/area');
  await expect(page.getByTestId('benvenuto')).toBeVisible();
  await otherPage.goto('/area');
  await expect(otherPage.getByRole('link', { name: 'Accedi' }).first()).toBeVisible();

  await login(otherPage, email, 'Cambiata2026pw');
  await expect(otherPage).toHaveURL(/\/area$/);
  await page.goto('/account');
  await page.getByRole('button', { name: 'Esci da tutti i dispositivi' }).click();
  await expect(page).toHaveURL(/\/accedi\?uscita=ovunque$/);
  await expect(page.getByTestId('uscita-ovunque')).toBeVisible();
  await otherPage.goto('/area');
  await expect(otherPage.getByRole('link', { name: 'Accedi' }).first()).toBeVisible();
  await other.close();
});
