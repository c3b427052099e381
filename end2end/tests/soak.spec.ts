import { test, expect, Page, APIRequestContext } from '@playwright/test';
import { admin } from '../playwright.config';
import { login, providerReadyToPay } from './helpers';

// Every page, loaded many times in a real browser while other clients load pages at the same
// time: no page may panic while hydrating, log a panic, show an error box it does not show
// alone, or leave its links dead. A page that hydrated sets <html data-hydrated="true">.
// (Issue "Pages that never break under load"; docs/ssr.md explains what used to break.)

const LOADS = Number(process.env.E2E_SOAK_LOADS ?? 200);
const BACKGROUND_CLIENTS = 8;

const providerPages = ['/area', '/area/censimento', '/area/domanda', '/area/documenti', '/area/pagamento', '/area/pagamenti', '/area/eventi', '/area/estratto-conto', '/area/quietanza', '/account'];
const segreteriaPages = ['/segreteria', '/segreteria/pagamenti', '/segreteria/tariffe', '/segreteria/dovuti', '/segreteria/dovuti?stato=QUIETANZE', '/account'];
const publicPages = ['/', '/accedi', '/registrazione', '/password-dimenticata', '/reimposta-password?token=x', '/verifica-email?token=x'];

/** Loads `paths` in a loop until `stop` says so: the background load. */
async function background(request: APIRequestContext, paths: string[], stop: () => boolean, counter: { n: number }): Promise<void> {
  let i = 0;
  while (!stop()) {
    const response = await request.get(paths[i % paths.length], { failOnStatusCode: false });
    await response.body();
    counter.n += 1;
    i += 1;
  }
}

function watch(page: Page, problems: string[], who: string): void {
  page.on('pageerror', (error) => problems.push(`${who} ${page.url()}: pageerror ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.text().includes('panicked')) {
      problems.push(`${who} ${page.url()}: console ${message.type()} ${message.text()}`);
    }
  });
}

async function load(page: Page, path: string, problems: string[]): Promise<void> {
  const response = await page.goto(path);
  const csp = response?.headers()['content-security-policy'] ?? '';
  try {
    await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true', { timeout: 30_000 });
  } catch (error) {
    throw new Error(`${path} never hydrated (status ${response?.status()}, CSP ${csp}); problems so far: ${problems.join(' | ')}`);
  }
  await expect(page.getByTestId('errore'), `${path}: error box`).toHaveCount(0);
}

test('every page hydrates without a panic or an error box while other clients load pages', async ({ browser }) => {
  test.setTimeout(600_000);
  const provider = await browser.newContext();
  const providerPage = await provider.newPage();
  await providerReadyToPay(providerPage, 'soak');
  const segreteria = await browser.newContext();
  const segreteriaPage = await segreteria.newPage();
  await login(segreteriaPage, admin.email, admin.password);
  await expect(segreteriaPage).toHaveURL(/\/segreteria$/);
  const anonymous = await browser.newContext();
  const anonymousPage = await anonymous.newPage();

  const problems: string[] = [];
  watch(providerPage, problems, 'provider');
  watch(segreteriaPage, problems, 'segreteria');
  watch(anonymousPage, problems, 'anonymous');

  let stopped = false;
  const served = { n: 0 };
  const load_ = [
    ...Array.from({ length: BACKGROUND_CLIENTS / 2 }, () => background(provider.request, providerPages, () => stopped, served)),
    ...Array.from({ length: BACKGROUND_CLIENTS / 2 }, () => background(segreteria.request, segreteriaPages, () => stopped, served)),
  ];

  const rounds: Array<[Page, string]> = [
    ...providerPages.map((p): [Page, string] => [providerPage, p]),
    ...segreteriaPages.map((p): [Page, string] => [segreteriaPage, p]),
    ...publicPages.map((p): [Page, string] => [anonymousPage, p]),
  ];
  let loads = 0;
  try {
    while (loads < LOADS) {
      for (const [page, path] of rounds) {
        await load(page, path, problems);
        loads += 1;
      }
      // In-app links work after hydration: the client-side router moves on.
      await load(providerPage, '/area', problems);
      await providerPage.getByRole('link', { name: 'I tuoi pagamenti' }).click();
      await expect(providerPage).toHaveURL(/\/area\/pagamenti$/, { timeout: 5_000 });
      await expect(providerPage.getByRole('heading', { level: 1, name: 'Pagamenti' })).toBeVisible();
      loads += 1;
    }
  } finally {
    stopped = true;
    await Promise.all(load_);
  }
  expect(problems).toEqual([]);
  expect(loads).toBeGreaterThanOrEqual(LOADS);
  expect(served.n, 'background requests').toBeGreaterThan(LOADS);
  console.log(`soak: ${loads} page loads in the browser, ${served.n} background requests`);
});
