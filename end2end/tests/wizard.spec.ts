import { expect, test } from '@playwright/test';
import { expectAccessible, fillCensimento, register, uniqueCodiceFiscaleEnte, uniqueEmail } from './helpers';

test('a provider fills in the censimento, chooses the request and sees the draft', async ({ page }) => {
  await register(page, uniqueEmail('wiz'));
  await expect(page).toHaveURL(/\/area$/);
  await expect(page.getByTestId('stepper')).toContainText('Dati del provider');
  await page.getByRole('link', { name: 'Inserisci i dati del provider' }).click();
  await expect(page).toHaveURL(/\/area\/censimento$/);
  await expectAccessible(page);

  // The codice fiscale is checked as the user types.
  await page.getByLabel('Codice fiscale', { exact: false }).first().pressSequentially('80007580278');
  await expect(page.getByText('non contiene un codice fiscale valido').first()).toBeVisible();

  await fillCensimento(page, uniqueCodiceFiscaleEnte());
  await expect(page.getByTestId('tipologia')).toHaveText('Tipologia di provider: Gruppo B');
  await page.getByRole('button', { name: 'Salva e continua' }).click();

  await expect(page).toHaveURL(/\/area\/domanda$/);
  await expectAccessible(page);
  await page.getByLabel(/Accreditamento provvisorio/).check();
  await page.getByRole('button', { name: 'Salva la bozza e continua' }).click();

  await expect(page).toHaveURL(/\/area$/);
  await expect(page.getByTestId('stato-domanda')).toHaveText('Bozza');
  await expect(page.getByTestId('provider')).toContainText('Società Veneta di Formazione');
  await expect(page.getByTestId('provider')).toContainText('Gruppo B');
  await expectAccessible(page);

  // The draft is resumed: the saved data are there when the provider comes back.
  await page.goto('/area/censimento');
  await expect(page.getByLabel('Comune')).toHaveValue('Venezia');
});

test('an invalid censimento is not saved and the wrong field is explained', async ({ page }) => {
  await register(page, uniqueEmail('wizbad'));
  await expect(page).toHaveURL(/\/area$/);
  await page.goto('/area/censimento');
  await fillCensimento(page, uniqueCodiceFiscaleEnte());
  await page.getByLabel('CAP').fill('301');
  await page.getByRole('button', { name: 'Salva e continua' }).click();
  await expect(page.getByText('Il CAP deve essere di 5 cifre.').first()).toBeVisible();
  await expect(page).toHaveURL(/\/area\/censimento/);
  await page.goto('/area');
  await expect(page.getByRole('link', { name: 'Inserisci i dati del provider' })).toBeVisible();
});
