import { expect, Page, test } from '@playwright/test';
import { expectAccessible, register, uniqueEmail } from './helpers';

/** A valid 11-digit fiscal code unique to this run (P.IVA check digit computed here). */
function uniqueCodiceFiscaleEnte(): string {
  const base = String(Date.now() % 1e10).padStart(10, '0');
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    let d = Number(base[i]);
    if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return base + String((10 - (sum % 10)) % 10);
}

async function fillCensimento(page: Page, cf: string): Promise<void> {
  await page.getByLabel('Denominazione').fill('Società Veneta di Formazione');
  await page.getByLabel('Codice fiscale', { exact: false }).first().fill(cf);
  await page.getByLabel('Forma giuridica').selectOption('SOCIETA_SCIENTIFICA');
  await page.getByRole('textbox', { name: 'Nome', exact: true }).fill('Mario');
  await page.getByLabel('Cognome').fill('Rossi');
  await page.getByLabel('Codice fiscale del legale rappresentante').fill('RSSMRA80A01H501U');
  await page.getByLabel('Via / piazza').fill('Via Roma');
  await page.getByLabel('Numero civico').fill('1');
  await page.getByLabel('CAP').fill('30121');
  await page.getByLabel('Comune').fill('Venezia');
  await page.getByLabel('Provincia').fill('VE');
  await page.getByLabel('PEC').fill('formazione@pec.example.it');
  await page.getByLabel('E-mail').fill('info@example.it');
  await page.getByLabel('Telefono').fill('041 1234567');
}

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
