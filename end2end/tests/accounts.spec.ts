import { expect, test } from '@playwright/test';
import { admin } from '../playwright.config';
import { expectAccessible, login, mailTo, PASSWORD, register, submitRegistration, uniqueEmail } from './helpers';

test('the landing page presents the portal in Italian and passes axe', async ({ page }) => {
  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  await expect(page.locator('html')).toHaveAttribute('lang', 'it');
  await expect(page.getByText('Regione del Veneto — Portale ECM')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Registrati come provider' })).toBeVisible();
  await expectAccessible(page);
});

test('a provider registers and lands on the provider area', async ({ page }) => {
  const email = uniqueEmail('reg');
  await page.goto('/registrazione');
  await expectAccessible(page);
  await register(page, email, 'Giulia Verdi');
  await expect(page).toHaveURL(/\/area$/);
  await expect(page.getByTestId('benvenuto')).toContainText('Giulia Verdi');
  await expect(page.getByText(email)).toBeVisible();
  await expectAccessible(page);
});

test('registration checks the e-mail while typing and explains the error in Italian', async ({ page }) => {
  await page.goto('/registrazione');
  await page.getByLabel('E-mail').pressSequentially('non-una-mail');
  await expect(page.getByText("L'indirizzo e-mail non è valido")).toBeVisible();
  await page.getByRole('textbox', { name: 'Password', exact: true }).pressSequentially('corta1');
  await expect(page.getByText('almeno 10 caratteri').last()).toBeVisible();
});

test('registering a taken address answers like a new one, and the owner is told by mail', async ({ page, browser }) => {
  const email = uniqueEmail('dup');
  await register(page, email);
  await expect(page).toHaveURL(/\/area$/);

  const other = await browser.newPage();
  await submitRegistration(other, email.toUpperCase(), 'Mario Rossi');
  await expect(other.getByTestId('errore')).toHaveCount(0);
  const told = await mailTo(other, email, 'Hai già un account');
  expect(told.text).toContain('non è stato creato nulla');
  await other.close();
});

test('logout ends the session and login brings the provider back', async ({ page }) => {
  const email = uniqueEmail('out');
  await register(page, email);
  await expect(page).toHaveURL(/\/area$/);

  await page.getByRole('button', { name: 'Esci' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('link', { name: 'Accedi' }).first()).toBeVisible();
  const response = await page.goto('/area');
  expect(response?.status()).toBe(401);
  await expect(page.getByRole('heading', { name: 'Accesso richiesto' })).toBeVisible();

  await login(page, email, PASSWORD);
  await expect(page).toHaveURL(/\/area$/);
  await expect(page.getByTestId('benvenuto')).toContainText('Anna Bianchi');
});

test('a wrong password is refused and nothing is logged in', async ({ page }) => {
  const email = uniqueEmail('wrong');
  await register(page, email);
  await page.getByRole('button', { name: 'Esci' }).click();
  await expect(page).toHaveURL(/\/$/);

  await login(page, email, 'PasswordSbagliata1');
  await expect(page.getByTestId('errore')).toHaveText('E-mail o password non corretti.');
  await expect(page).toHaveURL(/\/accedi$/);
  await expectAccessible(page);
  const response = await page.goto('/area');
  expect(response?.status()).toBe(401);
});

test('a provider is refused the Segreteria console', async ({ page }) => {
  await register(page, uniqueEmail('nosegr'));
  await expect(page).toHaveURL(/\/area$/);
  const response = await page.goto('/segreteria');
  expect(response?.status()).toBe(403);
  await expect(page.getByTestId('accesso-negato')).toBeVisible();
  await expectAccessible(page);
});

test('the Segreteria logs in to its console', async ({ page }) => {
  await login(page, admin.email, admin.password);
  await expect(page).toHaveURL(/\/segreteria$/);
  await expect(page.getByRole('heading', { name: 'Console della Segreteria ECM' })).toBeVisible();
  await expect(page.getByTestId('conteggio-provider')).toHaveText(/^\d+$/);
  await expectAccessible(page);
});

test('an unknown address answers 404 with an Italian page', async ({ page }) => {
  const response = await page.goto('/non-esiste');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Pagina non trovata' })).toBeVisible();
  await expectAccessible(page);
});
