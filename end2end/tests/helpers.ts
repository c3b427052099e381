import { expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mailSink } from '../playwright.config';

export const PASSWORD = 'Provider2026';

/** A unique e-mail per test, so tests can run in parallel on one database. */
export function uniqueEmail(tag: string): string {
  return `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@provider.test`;
}

/** axe-core on the current page: no serious or critical violations. With E2E_SCREENSHOTS set
 * to a folder, every page checked here is also captured at desktop and phone size, for the
 * visual review (see CONTRIBUTING.md, "Looking at the pages"). */
export async function expectAccessible(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)).toEqual([]);
  await screenshots(page);
}

const VIEWPORTS = [
  { name: 'desktop', width: 1366, height: 768 },
  { name: 'phone', width: 390, height: 844 },
];
let shotCounter = 0;

/** Full-page captures of the current page at 1366×768 and 390×844, when E2E_SCREENSHOTS is set. */
export async function screenshots(page: Page): Promise<void> {
  const folder = process.env.E2E_SCREENSHOTS;
  if (!folder) return;
  const original = page.viewportSize();
  const slug = new URL(page.url()).pathname.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '') || 'home';
  shotCounter += 1;
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize({ width: viewport.width, height: viewport.height });
    await page.screenshot({ path: `${folder}/${process.pid}-${String(shotCounter).padStart(2, '0')}-${slug}-${viewport.name}.png`, fullPage: true });
  }
  if (original) await page.setViewportSize(original);
}

/** Fills and sends the registration form; the answer is the same for a new or a taken address. */
export async function submitRegistration(page: Page, email: string, name = 'Anna Bianchi'): Promise<void> {
  await page.goto('/registrazione');
  await page.getByLabel('Nome e cognome del referente').fill(name);
  await page.getByLabel('E-mail').fill(email);
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
  await page.getByLabel('Conferma password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Registrati' }).click();
  await expect(page.getByTestId('registrazione-inviata')).toBeVisible();
}

/** Registers a provider and logs in with the new account (the provider lands on /area). */
export async function register(page: Page, email: string, name = 'Anna Bianchi'): Promise<void> {
  await submitRegistration(page, email, name);
  await login(page, email, PASSWORD);
}

export async function login(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/accedi');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Accedi', exact: true }).last().click();
}

/** A valid 11-digit fiscal code unique to this run (P.IVA check digit computed here). */
export function uniqueCodiceFiscaleEnte(): string {
  const base = String(Date.now() % 1e10).padStart(10, '0');
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    let d = Number(base[i]);
    if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return base + String((10 - (sum % 10)) % 10);
}

export async function fillCensimento(page: Page, cf: string, forma = 'SOCIETA_SCIENTIFICA'): Promise<void> {
  await page.getByLabel('Denominazione').fill('Società Veneta di Formazione');
  await page.getByLabel('Codice fiscale', { exact: false }).first().fill(cf);
  await page.getByLabel('Forma giuridica').selectOption(forma);
  await page.getByRole('textbox', { name: 'Nome', exact: true }).fill('Mario');
  await fillProviderDetails(page);
}

/** The rest of the censimento form (legale rappresentante, sede, contacts): end2end/censimento.json. */
export async function fillProviderDetails(page: Page): Promise<void> {
  const fields: Record<string, string> = JSON.parse(readFileSync(join(__dirname, '..', 'censimento.json'), 'utf8'));
  for (const [label, value] of Object.entries(fields)) {
    if (label !== '_') await page.getByLabel(label).fill(value);
  }
}

/** A small but real PDF (the portal checks the content, not the name). */
export function pdfBuffer(size: number): Buffer {
  const head = Buffer.from('%PDF-1.4\n%âãÏÓ\n');
  const body = Buffer.alloc(Math.max(0, size - head.length - 6), 0x20);
  return Buffer.concat([head, body, Buffer.from('\n%%EOF')]);
}

/** On the documents page: uploads a PDF into every empty required slot. */
export async function uploadAllRequiredDocuments(page: Page): Promise<void> {
  await page.goto('/area/documenti');
  const slots = page.locator('[data-testid^="slot-"]');
  const count = await slots.count();
  for (let i = 0; i < count; i++) {
    const slot = slots.nth(i);
    if ((await slot.getByText('obbligatorio').count()) === 0) continue;
    if ((await slot.getByTestId('documento-corrente').count()) > 0) continue;
    await slot.locator('input[type=file]').setInputFiles({ name: `documento-${i + 1}.pdf`, mimeType: 'application/pdf', buffer: pdfBuffer(20_000) });
    await slot.getByRole('button', { name: 'Carica', exact: true }).click();
    await expect(slot.getByTestId('documento-corrente')).toContainText(`documento-${i + 1}.pdf`);
  }
  await expect(page.getByTestId('documenti-completi')).toBeVisible();
}

/** Registers a Gruppo B provider with censimento, draft request and every document, and
 *  opens the cart page (the annual fee is due). Returns the account's e-mail. */
export async function providerReadyToPay(page: Page, tag: string): Promise<string> {
  const email = uniqueEmail(tag);
  await register(page, email);
  await expect(page).toHaveURL(/\/area$/);
  await page.goto('/area/censimento');
  await fillCensimento(page, uniqueCodiceFiscaleEnte());
  await page.getByRole('button', { name: 'Salva e continua' }).click();
  await expect(page).toHaveURL(/\/area\/domanda$/);
  await page.getByRole('button', { name: 'Salva la bozza e continua' }).click();
  await expect(page).toHaveURL(/\/area$/);
  await uploadAllRequiredDocuments(page);
  await page.goto('/area/pagamento');
  await expect(page.getByTestId('totale')).toHaveText('€ 258,22');
  return email;
}

/** The simulator's idSession behind the MyPay landing page the browser is on. */
export async function idSessionOfLanding(page: Page, simulatorBase: string): Promise<string> {
  const token = new URL(page.url()).searchParams.get('id');
  const sessions = (await (await page.request.get(`${simulatorBase}/admin/sessions`)).json()) as Array<{ id_session: string; landing_url: string }>;
  const session = sessions.find((s) => token !== null && s.landing_url.includes(token));
  if (!session) throw new Error(`no simulator session for landing ${page.url()}`);
  return session.id_session;
}

// ---- mail: read from the project's SMTP sink, as a person reads a mailbox ----

export type Mail = { envelope_to: string[]; subject: string | null; text: string | null };

/** The first message to `to` whose subject starts with `subject` (waits for it). */
export async function mailTo(page: Page, to: string, subject: string): Promise<Mail> {
  let found: Mail | undefined;
  await expect
    .poll(
      async () => {
        const response = await page.request.get(`${mailSink.base}/api/messages`);
        const all = (await response.json()) as Mail[];
        found = all.find((m) => m.envelope_to.includes(to) && (m.subject ?? '').startsWith(subject));
        return found !== undefined;
      },
      { timeout: 20_000, message: `a mail "${subject}…" to ${to}` },
    )
    .toBe(true);
  return found!;
}

/** The link of a mail that goes to `path`, on the portal this spec runs against. */
export function linkIn(mail: Mail, path: string): string {
  const match = (mail.text ?? '').match(new RegExp(`https?://\\S+${path}\\?token=\\S+`));
  expect(match, `a ${path} link in: ${mail.text}`).not.toBeNull();
  return match![0];
}

