// Visual check of the purged stylesheet: every page state below is captured twice, at 1366×768
// and 390×844, once with the OLD CSS (the full bootstrap-italia.min.css followed by
// style/main.css, as the portal served it before style/build-css.mjs) and once with the NEW one
// (style/generated/ecm.css); the two captures are compared pixel by pixel.
//
//   node css-compare.mjs --base http://127.0.0.1:3000 --out /tmp/css-shots \
//        [--admin-email segreteria@ecm.demo --admin-password 'Segreteria2026!'] [--only home,accedi]
//        [--new other.css] [--baseline new] [--threshold 0.1] [--hydrated]
//
// --new compares another candidate stylesheet; --baseline new compares the new CSS with itself
// (the captures' noise floor, expected 0). Chromium: /usr/bin/chromium, or E2E_CHROMIUM.
//
// The portal under test only provides the HTML: the stylesheets and fonts are answered by this
// script (request interception), so the portal may have been built with either CSS. The swap
// happens in place (the <link> is replaced and fonts awaited), so form states reached by
// clicking stay identical between the two captures. Exit code 1 when a capture differs.

import { chromium } from '@playwright/test';
import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const STYLE = join(HERE, '../style');
const BI_DIST = join(STYLE, 'node_modules/bootstrap-italia/dist');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const BASE = arg('base', process.env.ECM_BASE_URL ?? 'http://127.0.0.1:3000');
const OUT = arg('out', join(HERE, 'test-results/css-compare'));
const ADMIN = {
  email: arg('admin-email', process.env.ECM_ADMIN_EMAIL ?? 'segreteria@ecm.demo'),
  password: arg('admin-password', process.env.ECM_ADMIN_PASSWORD ?? 'Segreteria2026!'),
};
const ONLY = arg('only', '')?.split(',').filter(Boolean) ?? [];
// Pixels whose colour distance exceeds this count as different (pixelmatch's 0–1 scale).
const THRESHOLD = Number(arg('threshold', '0.1'));
const CHROMIUM = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';
// `--baseline new` compares the new CSS with itself (the noise floor of the captures).
const BASELINE = arg('baseline', 'old');

const OLD_CSS = readFileSync(join(BI_DIST, 'css/bootstrap-italia.min.css'), 'utf8') + '\n' + readFileSync(join(STYLE, 'main.css'), 'utf8');
const NEW_PATH = arg('new', join(STYLE, 'generated/ecm.css'));
if (!existsSync(NEW_PATH)) throw new Error(`${NEW_PATH} missing: run \`make assets\` (or node style/build-css.mjs)`);
const NEW_CSS = readFileSync(NEW_PATH, 'utf8');

const VIEWPORTS = [
  { name: 'desktop', width: 1366, height: 768 },
  { name: 'phone', width: 390, height: 844 },
];
const PASSWORD = 'Provider2026';

// ------------------------------------------------------------------------------------------

async function serveAssets(context, fontLog) {
  // The stylesheet: ?variant=old gives the old CSS, anything else the new one.
  // /pkg/ecm.css, or with a hash in the name or the folder (cargo-leptos hash-files, versioned paths).
  await context.route(/\/pkg\/([^?]*\/)?ecm[^/?]*\.css(\?.*)?$/, (route) => {
    const old = new URL(route.request().url()).searchParams.get('variant') === 'old';
    route.fulfill({ status: 200, contentType: 'text/css', body: old ? OLD_CSS : NEW_CSS });
  });
  // The old shell's separate link to the full Bootstrap Italia (already inside OLD_CSS).
  await context.route('**/bootstrap-italia/css/**', (route) => route.fulfill({ status: 200, contentType: 'text/css', body: '' }));
  // Fonts straight from the package (whatever the portal's site folder holds).
  await context.route('**/bootstrap-italia/fonts/**', (route) => {
    const rel = decodeURIComponent(new URL(route.request().url()).pathname.replace(/^.*\/bootstrap-italia\/fonts\//, ''));
    const file = join(BI_DIST, 'fonts', rel);
    fontLog.add(rel);
    if (!existsSync(file)) return route.fulfill({ status: 404, body: '' });
    route.fulfill({ status: 200, contentType: 'font/woff2', body: readFileSync(file) });
  });
}

async function useCss(page, variant) {
  await page.evaluate(async (variant) => {
    const links = [...document.querySelectorAll('link[rel=stylesheet]')].filter((l) => /\/pkg\/([^?]*\/)?ecm[^/?]*\.css/.test(l.getAttribute('href') ?? ''));
    if (links.length === 0) throw new Error('no /pkg/…ecm….css link on the page');
    const link = links[0];
    const fresh = link.cloneNode();
    fresh.setAttribute('href', `${link.getAttribute('href').split('?')[0]}?variant=${variant}`);
    await new Promise((resolve, reject) => {
      fresh.onload = resolve;
      fresh.onerror = () => reject(new Error(`cannot load ${fresh.href}`));
      link.after(fresh);
    });
    for (const l of links) l.remove();
    void document.body.offsetHeight;
    await document.fonts.ready;
    // After a stylesheet swap Chromium may keep a <select>'s text 1 px off (laid out with the
    // fallback font's metrics while the new @font-face loaded) until the control is laid out
    // again; a fresh page load with either stylesheet shows no such offset.
    for (const e of document.querySelectorAll('select')) {
      e.style.display = 'none';
      void e.offsetHeight;
      e.style.display = '';
    }
  }, variant);
  await page.waitForTimeout(150);
}

async function loadedFonts(page) {
  return page.evaluate(() => [...document.fonts].filter((f) => f.status === 'loaded').map((f) => `${f.family.replace(/"/g, '')} ${f.weight}${f.style === 'normal' ? '' : ' ' + f.style}`).sort());
}

function compare(a, b, diffPath) {
  const A = PNG.sync.read(a);
  const B = PNG.sync.read(b);
  const width = Math.min(A.width, B.width);
  const height = Math.min(A.height, B.height);
  const crop = (img) => {
    if (img.width === width && img.height === height) return img.data;
    const out = Buffer.alloc(width * height * 4);
    for (let y = 0; y < height; y++) img.data.copy(out, y * width * 4, y * img.width * 4, y * img.width * 4 + width * 4);
    return out;
  };
  const diff = new PNG({ width, height });
  const pixels = pixelmatch(crop(A), crop(B), diff.data, width, height, { threshold: THRESHOLD });
  if (pixels > 0) writeFileSync(diffPath, PNG.sync.write(diff));
  return { pixels, total: width * height, sizeOld: `${A.width}×${A.height}`, sizeNew: `${B.width}×${B.height}`, sameSize: A.width === B.width && A.height === B.height };
}

const results = [];

// Captures the current page state with both stylesheets, at both sizes, and compares them.
async function capture(page, name) {
  if (ONLY.length && !ONLY.includes(name)) return;
  await page.mouse.move(0, 0);
  const shots = {};
  const fonts = {};
  for (const variant of ['new', BASELINE === 'new' ? 'new2' : 'old']) {
    const key = variant === 'new2' ? 'old' : variant;
    await useCss(page, variant);
    fonts[key] = await loadedFonts(page);
    for (const vp of VIEWPORTS) {
      await page.setViewportSize({ width: vp.width, height: vp.height });
      await page.evaluate(() => document.fonts.ready);
      await page.waitForTimeout(100);
      const path = join(OUT, `${name}-${vp.name}-${variant}.png`);
      shots[`${vp.name}-${key}`] = await page.screenshot({ path, fullPage: true, animations: 'disabled', caret: 'hide' });
    }
  }
  await useCss(page, 'new');
  await page.setViewportSize({ width: VIEWPORTS[0].width, height: VIEWPORTS[0].height });
  for (const vp of VIEWPORTS) {
    const r = compare(shots[`${vp.name}-old`], shots[`${vp.name}-new`], join(OUT, `${name}-${vp.name}-diff.png`));
    results.push({ name, viewport: vp.name, ...r, fontsNew: fonts.new.join(', '), fontsOld: fonts.old.join(', ') });
    const pct = ((100 * r.pixels) / r.total).toFixed(3);
    console.log(`${r.pixels === 0 && r.sameSize ? 'same' : 'DIFF'}  ${name.padEnd(28)} ${vp.name.padEnd(7)} ${String(r.pixels).padStart(7)} px (${pct}%)  old ${r.sizeOld} new ${r.sizeNew}`);
  }
  if (fonts.new.join() !== fonts.old.join()) console.log(`      fonts differ: old [${fonts.old}] new [${fonts.new}]`);
}

async function step(label, fn) {
  try {
    await fn();
  } catch (err) {
    console.log(`SKIP  ${label}: ${err.message.split('\n')[0]}`);
    results.push({ name: label, error: err.message.split('\n')[0] });
  }
}

function uniqueCodiceFiscaleEnte() {
  const base = String(Date.now() % 1e10).padStart(10, '0');
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    let d = Number(base[i]);
    if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return base + String((10 - (sum % 10)) % 10);
}

function pdf(size) {
  const head = Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n');
  return Buffer.concat([head, Buffer.alloc(Math.max(0, size - head.length - 6), 0x20), Buffer.from('\n%%EOF')]);
}

// With --hydrated, each page is also awaited until the app marks it interactive
// (<html data-hydrated="true">), so states set by the browser bundle are captured too.
const HYDRATED = process.argv.includes('--hydrated');

async function settle(page) {
  await page.waitForLoadState('networkidle').catch(() => {});
  if (HYDRATED && new URL(page.url()).origin === new URL(BASE).origin) await page.waitForFunction(() => document.documentElement.dataset.hydrated === 'true', null, { timeout: 30_000 });
}

async function go(page, path) {
  await page.goto(new URL(path, BASE).toString());
  await settle(page);
}

async function click(page, locator) {
  await locator.click();
  await settle(page);
}

// ------------------------------------------------------------------------------------------

mkdirSync(OUT, { recursive: true });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless', '--disable-gpu', '--font-render-hinting=none', '--disable-lcd-text'] });
const fontLog = new Set();

async function newPage() {
  const context = await browser.newContext({ locale: 'it-IT', viewport: VIEWPORTS[0], deviceScaleFactor: 1 });
  await serveAssets(context, fontLog);
  return context.newPage();
}

// Anonymous visitor.
{
  const page = await newPage();
  await step('home', async () => { await go(page, '/'); await capture(page, 'home'); });
  await step('home-skip-link', async () => { await page.keyboard.press('Tab'); await capture(page, 'home-skip-link'); });
  await step('accedi', async () => { await go(page, '/accedi'); await capture(page, 'accedi'); });
  await step('accedi-focus', async () => {
    await page.getByLabel('E-mail').focus();
    await page.keyboard.type('anna@provider.test');
    await page.keyboard.press('Tab');
    await capture(page, 'accedi-focus');
  });
  await step('accedi-errore', async () => {
    await page.getByLabel('E-mail').fill('nessuno@provider.test');
    await page.getByLabel('Password').fill('PasswordSbagliata1');
    await click(page, page.getByRole('button', { name: 'Accedi', exact: true }).last());
    await page.getByTestId('errore').waitFor();
    await capture(page, 'accedi-errore');
  });
  await step('accedi-bottone-focus', async () => {
    await page.getByRole('button', { name: 'Accedi', exact: true }).last().focus();
    await capture(page, 'accedi-bottone-focus');
  });
  await step('registrazione', async () => { await go(page, '/registrazione'); await capture(page, 'registrazione'); });
  await step('registrazione-errori', async () => {
    await page.getByLabel('Nome e cognome del referente').fill('A');
    await page.getByLabel('E-mail').fill('non-una-email');
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill('corta');
    await page.getByLabel('Conferma password').fill('diversa');
    await click(page, page.getByRole('button', { name: 'Registrati' }));
    await capture(page, 'registrazione-errori');
  });
  await step('non-trovata', async () => { await go(page, '/pagina-che-non-esiste'); await capture(page, 'non-trovata'); });
  await step('area-anonimo', async () => { await go(page, '/area'); await capture(page, 'area-anonimo'); });
  await page.context().close();
}

// A provider, from registration to the payment page.
let providerName = '';
{
  const page = await newPage();
  const email = `css-${Date.now()}@provider.test`;
  await step('area-nuovo', async () => {
    await go(page, '/registrazione');
    await page.getByLabel('Nome e cognome del referente').fill('Anna Bianchi');
    await page.getByLabel('E-mail').fill(email);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
    await page.getByLabel('Conferma password').fill(PASSWORD);
    await click(page, page.getByRole('button', { name: 'Registrati' }));
    await page.waitForURL(/\/area$/);
    await capture(page, 'area-nuovo');
  });
  await step('censimento', async () => { await go(page, '/area/censimento'); await capture(page, 'censimento'); });
  await step('censimento-errori', async () => {
    await page.getByLabel('Denominazione').fill('Società Veneta di Formazione');
    await page.getByLabel('Codice fiscale', { exact: false }).first().fill('80007580278');
    await page.getByLabel('CAP').fill('301');
    await click(page, page.getByRole('button', { name: 'Salva e continua' }));
    await capture(page, 'censimento-errori');
  });
  await step('domanda', async () => {
    await go(page, '/area/censimento');
    providerName = `Società Veneta di Formazione ${Date.now() % 100000}`;
    await page.getByLabel('Denominazione').fill(providerName);
    await page.getByLabel('Codice fiscale', { exact: false }).first().fill(uniqueCodiceFiscaleEnte());
    await page.getByLabel('Forma giuridica').selectOption('SOCIETA_SCIENTIFICA');
    await page.getByRole('textbox', { name: 'Nome', exact: true }).fill('Mario');
    const details = JSON.parse(readFileSync(join(HERE, 'censimento.json'), 'utf8'));
    for (const [label, value] of Object.entries(details)) {
      if (label !== '_') await page.getByLabel(label).fill(value);
    }
    await click(page, page.getByRole('button', { name: 'Salva e continua' }));
    await page.waitForURL(/\/area\/domanda$/);
    await capture(page, 'domanda');
  });
  await step('area-bozza', async () => {
    await page.getByLabel(/Accreditamento provvisorio/).check();
    await click(page, page.getByRole('button', { name: 'Salva la bozza e continua' }));
    await page.waitForURL(/\/area$/);
    await capture(page, 'area-bozza');
  });
  await step('documenti', async () => { await go(page, '/area/documenti'); await capture(page, 'documenti'); });
  await step('documenti-completi', async () => {
    const slots = page.locator('[data-testid^="slot-"]');
    const count = await slots.count();
    for (let i = 0; i < count; i++) {
      const slot = slots.nth(i);
      if ((await slot.getByText('obbligatorio').count()) === 0) continue;
      await slot.locator('input[type=file]').setInputFiles({ name: `documento-${i + 1}.pdf`, mimeType: 'application/pdf', buffer: pdf(20_000) });
      await click(page, slot.getByRole('button', { name: 'Carica', exact: true }));
      await go(page, '/area/documenti');
    }
    await capture(page, 'documenti-completi');
  });
  await step('area-da-pagare', async () => { await go(page, '/area'); await capture(page, 'area-da-pagare'); });
  await step('pagamento', async () => { await go(page, '/area/pagamento'); await capture(page, 'pagamento'); });
  await step('ritorno', async () => {
    await click(page, page.getByRole('button', { name: 'Paga con pagoPA' }));
    await page.waitForURL(/\/public\/landing\//);
    await click(page, page.getByRole('button', { name: 'Paga', exact: true }));
    await page.waitForURL(/\/pagamenti\/ritorno/);
    await page.waitForTimeout(3000);
    await page.reload();
    await settle(page);
    await capture(page, 'ritorno');
  });
  await step('pagamenti', async () => { await go(page, '/area/pagamenti'); await capture(page, 'pagamenti'); });
  await step('eventi', async () => { await go(page, '/area/eventi'); await capture(page, 'eventi'); });
  await step('area-inviata', async () => {
    await go(page, '/area');
    await click(page, page.getByRole('button', { name: 'Invia la domanda alla Segreteria ECM' }));
    await capture(page, 'area-inviata');
  });
  await page.context().close();
}

// The Segreteria's consoles.
{
  const page = await newPage();
  await step('segreteria', async () => {
    await go(page, '/accedi');
    await page.getByLabel('E-mail').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await click(page, page.getByRole('button', { name: 'Accedi', exact: true }).last());
    await page.waitForURL(/\/segreteria$/);
    await capture(page, 'segreteria');
  });
  await step('segreteria-domanda', async () => {
    await page.locator('[data-testid=elenco-domande] a').first().click();
    await settle(page);
    await capture(page, 'segreteria-domanda');
  });
  await step('segreteria-pagamenti', async () => { await go(page, '/segreteria/pagamenti'); await capture(page, 'segreteria-pagamenti'); });
  await step('segreteria-pagamento', async () => {
    await page.locator('table a').first().click();
    await settle(page);
    await capture(page, 'segreteria-pagamento');
  });
  await step('segreteria-tariffe', async () => { await go(page, '/segreteria/tariffe'); await capture(page, 'segreteria-tariffe'); });
  await step('segreteria-tariffa', async () => {
    await page.getByRole('link', { name: /Storico e nuova tariffa/ }).first().click();
    await settle(page);
    await capture(page, 'segreteria-tariffa');
  });
  await step('segreteria-dovuti', async () => { await go(page, '/segreteria/dovuti'); await capture(page, 'segreteria-dovuti'); });
  await step('segreteria-dovuto', async () => {
    await page.locator('table a').first().click();
    await settle(page);
    await capture(page, 'segreteria-dovuto');
  });
  await page.context().close();
}

await browser.close();
writeFileSync(join(OUT, 'results.json'), JSON.stringify({ base: BASE, fontsRequested: [...fontLog].sort(), results }, null, 2));
console.log(`\nfonts requested: ${[...fontLog].sort().join(', ')}`);
const differing = results.filter((r) => r.error || r.pixels > 0 || r.sameSize === false);
console.log(`${results.length} captures, ${differing.length} differing or skipped; screenshots and diffs in ${OUT}`);
process.exit(differing.length ? 1 : 0);
