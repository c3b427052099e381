#!/usr/bin/env node
// Page weight and timing of a cold first visit over a slow phone link.
//
//   node scripts/measure-weight.mjs --base http://127.0.0.1:3000 [options]
//
// Options:
//   --base URL          the portal (required)
//   --email E           provider account for the pages that need a login (with --password);
//   --password P        without --email a fresh provider account is registered
//   --runs N            runs per page, each in a fresh browser context (default 3)
//   --pages LIST        comma-separated paths; ":login" marks a page visited as a logged-in
//                       provider (default "/,/area:login")
//   --throttle MODE     "slow4g" (default) or "none" (unthrottled, for debugging)
//   --json FILE         write every raw figure (per run, per resource) to FILE
//   --no-fail           always exit 0 (otherwise exit 1 when a target is missed)
//   --chromium PATH     browser binary (default $E2E_CHROMIUM or /usr/bin/chromium)
//
// Targets (checked on the median of the runs; the worst run is shown next to it):
//   transferred <= 500 KB (1 KB = 1000 bytes), first contentful paint <= 1.5 s, hydrated <= 4 s.
//
// How each figure is measured, for every run:
//   - A new Playwright browser context (empty HTTP cache, no cookies but the session cookie,
//     own connection pool) with service workers blocked. The HTTP cache is NOT disabled:
//     resources fetched twice within the page load are counted once, as in a real first visit.
//   - transferred: sum of CDP Network.loadingFinished.encodedDataLength (bytes on the wire,
//     headers included) over every request the page makes: HTML, CSS, fonts, JS, wasm, images
//     and the server-function calls made while hydrating; redirect hops count their
//     redirectResponse.encodedDataLength, failed or canceled requests what had arrived by then
//     (responseReceived and dataReceived encodedDataLength). Decoded bytes are the sum of
//     Network.dataReceived.dataLength. Requests of workers would not be seen (the portal has
//     none).
//   - first contentful paint: the 'first-contentful-paint' entry of
//     performance.getEntriesByType('paint'), from navigation start.
//   - hydrated: time from navigation start at which document.documentElement.dataset.hydrated
//     becomes "true" (set by the app when Leptos hydration finishes). An init script installed
//     before any page script watches the attribute with a MutationObserver and records
//     performance.now(). Null when the marker does not appear within 60 s of navigation start.
//   - network idle: when the last request finished, with nothing in flight for at least 500 ms
//     afterwards (the measurement waits for hydration and then for those 500 ms of quiet, so
//     the server-function calls of hydration are included). Null when the network never went
//     quiet within 90 s.
//   CDP timestamps are put on the page's clock through requestWillBeSent.wallTime and
//   performance.timeOrigin.
//
// Throttling: applied (DevTools) throttling through CDP Network.emulateNetworkConditions on
// the page's target with Lighthouse's "Slow 4G" figures (mobileSlow4G: 150 ms RTT, 1.6 Mbit/s
// down, 750 Kbit/s up, Kbit = 1024 bit as in Lighthouse). The figures are used as they are:
// Lighthouse's own "devtools" throttling method multiplies them (latency x3.75, throughput
// x0.9) to imitate its simulated numbers; we do not. Chromium adds the latency once per
// request (not per TCP/TLS round trip). No CPU throttling (Lighthouse's mobile preset would
// also slow the CPU 4x): the wasm is compiled and run at this machine's full speed.

import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// playwright-core comes with @playwright/test (end2end's dependency); resolve it from there so
// that the script runs from anywhere.
const requireFromE2e = createRequire(path.join(repoRoot, 'end2end', 'package.json'));
let chromium;
try {
  ({ chromium } = requireFromE2e('playwright-core'));
} catch {
  try {
    ({ chromium } = requireFromE2e('@playwright/test'));
  } catch {
    console.error('playwright-core not found: run `cd end2end && npm ci` first.');
    process.exit(2);
  }
}

const SLOW_4G = {
  offline: false,
  latency: 150, // ms
  downloadThroughput: (1.6 * 1024 * 1024) / 8, // 1.6 Mbit/s in bytes/s (209,715 B/s)
  uploadThroughput: (750 * 1024) / 8, // 750 Kbit/s in bytes/s (96,000 B/s)
};
const TARGETS = { bytes: 500_000, fcp: 1500, hydrated: 4000 };
const HYDRATION_TIMEOUT_MS = 60_000;
const SETTLE_TIMEOUT_MS = 90_000;
const QUIET_MS = 500;
const LAUNCH_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

// ---------------------------------------------------------------------------------- options

function usage(message) {
  if (message) console.error(`error: ${message}\n`);
  console.error(
    'usage: node scripts/measure-weight.mjs --base URL [--email E --password P] [--runs N]\n' +
      '       [--pages "/,/area:login"] [--throttle slow4g|none] [--json FILE] [--no-fail] [--chromium PATH]',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {
    base: null,
    email: null,
    password: null,
    runs: 3,
    pages: '/,/area:login',
    throttle: 'slow4g',
    json: null,
    fail: true,
    chromium: process.env.E2E_CHROMIUM || '/usr/bin/chromium',
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) [arg, value] = [arg.slice(0, eq), arg.slice(eq + 1)];
    const next = () => {
      if (value !== undefined) return value;
      if (i + 1 >= argv.length) usage(`${arg} needs a value`);
      return argv[++i];
    };
    switch (arg) {
      case '--base': opts.base = next().replace(/\/+$/, ''); break;
      case '--email': opts.email = next(); break;
      case '--password': opts.password = next(); break;
      case '--runs': opts.runs = Number(next()); break;
      case '--pages': opts.pages = next(); break;
      case '--throttle': opts.throttle = next(); break;
      case '--json': opts.json = next(); break;
      case '--no-fail': opts.fail = false; break;
      case '--chromium': opts.chromium = next(); break;
      case '-h': case '--help': usage();
      default: usage(`unknown option ${arg}`);
    }
  }
  if (!opts.base) usage('--base is required');
  if (!Number.isInteger(opts.runs) || opts.runs < 1) usage('--runs must be a positive integer');
  if (!['slow4g', 'none'].includes(opts.throttle)) usage('--throttle must be slow4g or none');
  if (opts.email && !opts.password) usage('--email needs --password');
  opts.pageList = opts.pages.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const login = s.endsWith(':login');
    const p = login ? s.slice(0, -':login'.length) : s;
    return { path: p.startsWith('/') ? p : `/${p}`, login };
  });
  if (opts.pageList.length === 0) usage('--pages is empty');
  return opts;
}

// ------------------------------------------------------------------------------------ login

// Calls a server function the way the hydrated browser does: form-encoded, JSON accepted.
async function callServerFn(base, endpoint, fields) {
  const response = await fetch(`${base}/api/${endpoint}`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      Accept: 'application/json',
      'Content-Type': 'application/x-www-form-urlencoded',
      Origin: new URL(base).origin,
    },
    body: new URLSearchParams(fields).toString(),
  });
  const body = await response.text();
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith('ecm_session='));
  if (response.status >= 400 || !cookie) {
    throw new Error(`POST /api/${endpoint}: HTTP ${response.status}, ${cookie ? '' : 'no ecm_session cookie, '}body: ${body.slice(0, 300)}`);
  }
  return cookie;
}

// "ecm_session=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=N" -> a Playwright cookie.
function toPlaywrightCookie(setCookie, base) {
  const [pair, ...attributes] = setCookie.split(';').map((s) => s.trim());
  const eq = pair.indexOf('=');
  const cookie = { name: pair.slice(0, eq), value: pair.slice(eq + 1), url: `${new URL(base).origin}/` };
  for (const attribute of attributes) {
    const [key, val = ''] = attribute.split('=');
    switch (key.toLowerCase()) {
      case 'httponly': cookie.httpOnly = true; break;
      case 'secure': cookie.secure = true; break;
      case 'samesite': cookie.sameSite = { lax: 'Lax', strict: 'Strict', none: 'None' }[val.toLowerCase()] ?? 'Lax'; break;
      case 'max-age': cookie.expires = Math.floor(Date.now() / 1000) + Number(val); break;
      default: break;
    }
  }
  return cookie;
}

async function providerSession(opts) {
  let setCookie;
  if (opts.email) {
    setCookie = await callServerFn(opts.base, 'accounts/login', { email: opts.email, password: opts.password });
    console.log(`Logged in as ${opts.email}.`);
  } else {
    const email = `misura-peso-${Date.now()}-${Math.floor(Math.random() * 1e6)}@provider.it`;
    const password = 'Provider2026';
    setCookie = await callServerFn(opts.base, 'accounts/register', {
      email,
      display_name: 'Misura Peso',
      password,
      password_confirm: password,
    });
    console.log(`Registered provider ${email} / ${password}.`);
  }
  return toPlaywrightCookie(setCookie, opts.base);
}

// -------------------------------------------------------------------------------- measuring

// Installed before any page script: records when <html data-hydrated="true"> appears.
function hydrationProbe() {
  const probe = { hydratedAt: null };
  Object.defineProperty(window, '__weightProbe', { value: probe });
  const check = () => {
    const root = document.documentElement;
    if (probe.hydratedAt === null && root && root.dataset.hydrated === 'true') probe.hydratedAt = performance.now();
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-hydrated'] });
  check();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function measureOnce(browser, opts, page, cookie) {
  const context = await browser.newContext({ serviceWorkers: 'block', locale: 'it-IT' });
  try {
    if (cookie) await context.addCookies([cookie]);
    await context.addInitScript(hydrationProbe);
    const tab = await context.newPage();
    const cdp = await context.newCDPSession(tab);

    const requests = new Map(); // requestId -> current record
    const records = [];
    let clockOffset = null; // wallTime - monotonic timestamp, in seconds
    let lastActivity = Date.now();
    const touch = () => { lastActivity = Date.now(); };
    const header = (headers, name) => {
      for (const [k, v] of Object.entries(headers || {})) if (k.toLowerCase() === name) return v;
      return null;
    };
    const finish = (record, timestamp, encoded, failed) => {
      record.endTs = timestamp;
      if (encoded !== undefined) record.encodedBytes = encoded;
      if (failed) record.failed = failed;
      record.done = true;
    };

    cdp.on('Network.requestWillBeSent', (e) => {
      touch();
      if (clockOffset === null) clockOffset = e.wallTime - e.timestamp;
      const previous = requests.get(e.requestId);
      if (previous && e.redirectResponse) {
        // The previous hop ends with this redirect response.
        previous.status = e.redirectResponse.status;
        previous.mimeType = e.redirectResponse.mimeType;
        previous.contentEncoding = header(e.redirectResponse.headers, 'content-encoding');
        finish(previous, e.timestamp, e.redirectResponse.encodedDataLength);
        previous.redirectedTo = e.request.url;
      }
      const record = {
        url: e.request.url,
        method: e.request.method,
        type: e.type || 'Other',
        status: null,
        mimeType: null,
        contentEncoding: null,
        encodedBytes: 0,
        encodedSoFar: 0,
        decodedBytes: 0,
        fromCache: false,
        startTs: e.timestamp,
        responseTs: null,
        endTs: null,
        done: false,
      };
      requests.set(e.requestId, record);
      records.push(record);
    });
    cdp.on('Network.responseReceived', (e) => {
      touch();
      const record = requests.get(e.requestId);
      if (!record) return;
      record.type = e.type || record.type;
      record.status = e.response.status;
      record.responseTs = e.timestamp;
      record.mimeType = e.response.mimeType;
      record.protocol = e.response.protocol;
      record.contentEncoding = header(e.response.headers, 'content-encoding');
      record.encodedSoFar = e.response.encodedDataLength || 0;
      if (e.response.fromDiskCache || e.response.fromServiceWorker || e.response.fromPrefetchCache) record.fromCache = true;
    });
    cdp.on('Network.requestServedFromCache', (e) => {
      const record = requests.get(e.requestId);
      if (record) record.fromCache = true;
    });
    cdp.on('Network.dataReceived', (e) => {
      touch();
      const record = requests.get(e.requestId);
      if (!record) return;
      record.decodedBytes += e.dataLength;
      record.encodedSoFar += e.encodedDataLength || 0;
    });
    cdp.on('Network.loadingFinished', (e) => {
      touch();
      const record = requests.get(e.requestId);
      if (record) finish(record, e.timestamp, e.encodedDataLength);
    });
    cdp.on('Network.loadingFailed', (e) => {
      touch();
      const record = requests.get(e.requestId);
      // A failed or canceled request still cost what had arrived.
      if (record) finish(record, e.timestamp, record.encodedSoFar, e.canceled ? 'canceled' : e.errorText || 'failed');
    });

    await cdp.send('Network.enable');
    if (opts.throttle === 'slow4g') await cdp.send('Network.emulateNetworkConditions', SLOW_4G);

    const url = `${opts.base}${page.path}`;
    const started = Date.now();
    await tab.goto(url, { waitUntil: 'commit', timeout: HYDRATION_TIMEOUT_MS });

    // Hydration marker, up to 60 s after navigation start.
    let hydrationError = null;
    try {
      await tab.waitForFunction(() => window.__weightProbe && window.__weightProbe.hydratedAt !== null, undefined, {
        timeout: Math.max(1, started + HYDRATION_TIMEOUT_MS - Date.now()),
        polling: 50,
      });
    } catch (error) {
      hydrationError = error.name === 'TimeoutError' ? 'marker data-hydrated="true" did not appear within 60 s' : String(error.message || error);
    }

    // Then 500 ms with nothing in flight (covers the server-function calls of hydration).
    let settled = false;
    while (Date.now() - started < SETTLE_TIMEOUT_MS) {
      const inFlight = records.some((r) => !r.done);
      if (!inFlight && Date.now() - lastActivity >= QUIET_MS) { settled = true; break; }
      await sleep(25);
    }

    const pageData = await tab.evaluate(() => {
      const fcp = performance.getEntriesByType('paint').find((p) => p.name === 'first-contentful-paint');
      const nav = performance.getEntriesByType('navigation')[0];
      return {
        href: location.href,
        timeOrigin: performance.timeOrigin,
        fcp: fcp ? fcp.startTime : null,
        hydratedAt: window.__weightProbe ? window.__weightProbe.hydratedAt : null,
        hydratedMarker: document.documentElement.dataset.hydrated ?? null,
        nav: nav
          ? {
              domContentLoaded: nav.domContentLoadedEventEnd,
              load: nav.loadEventEnd || null,
            }
          : null,
      };
    });

    // CDP monotonic seconds -> ms from navigation start on the page's clock.
    const rel = (ts) => (ts === null || clockOffset === null ? null : round((ts + clockOffset) * 1000 - pageData.timeOrigin));
    const resources = records.map((r) => ({
      url: r.url,
      method: r.method,
      type: r.type,
      status: r.status,
      mimeType: r.mimeType,
      protocol: r.protocol ?? null,
      contentEncoding: r.contentEncoding,
      encodedBytes: r.encodedBytes,
      decodedBytes: r.decodedBytes,
      fromCache: r.fromCache,
      startMs: rel(r.startTs),
      responseMs: rel(r.responseTs),
      endMs: rel(r.endTs),
      ...(r.redirectedTo ? { redirectedTo: r.redirectedTo } : {}),
      ...(r.failed ? { failed: r.failed } : {}),
      ...(r.done ? {} : { unfinished: true }),
    }));
    const ends = resources.map((r) => r.endMs).filter((v) => v !== null);
    const notes = [];
    if (hydrationError) notes.push(hydrationError);
    if (!settled) notes.push(`network never quiet for ${QUIET_MS} ms within ${SETTLE_TIMEOUT_MS / 1000} s; unfinished: ${resources.filter((r) => r.unfinished).map((r) => r.url).join(', ')}`);
    const finalPath = new URL(pageData.href).pathname;
    if (finalPath !== page.path) notes.push(`ended on ${pageData.href} instead of ${page.path}`);
    if (resources.some((r) => r.fromCache)) notes.push('some resources came from a cache');
    return {
      url,
      finalUrl: pageData.href,
      bytes: resources.reduce((sum, r) => sum + r.encodedBytes, 0),
      decodedBytes: resources.reduce((sum, r) => sum + r.decodedBytes, 0),
      requests: resources.length,
      fcpMs: pageData.fcp === null ? null : round(pageData.fcp),
      hydratedMs: pageData.hydratedAt === null ? null : round(pageData.hydratedAt),
      networkIdleMs: settled && ends.length ? Math.max(...ends) : null,
      // The page's own responseStart does not see the emulated latency: take the response
      // headers of the (final) HTML document as CDP delivered them.
      ttfbMs: resources.find((r) => r.type === 'Document' && !r.redirectedTo)?.responseMs ?? null,
      domContentLoadedMs: pageData.nav ? round(pageData.nav.domContentLoaded) : null,
      loadMs: pageData.nav && pageData.nav.load ? round(pageData.nav.load) : null,
      notes,
      resources,
    };
  } finally {
    await context.close();
  }
}

// ---------------------------------------------------------------------------------- report

const round = (v) => Math.round(v * 10) / 10;

// Median and worst, a missing value (null) counting as worse than any other.
function median(values) {
  const sorted = values.map((v) => (v === null ? Infinity : v)).sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const m = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return Number.isFinite(m) ? m : null;
}
function worst(values) {
  return values.some((v) => v === null) ? null : Math.max(...values);
}

const kb = (b) => (b === null ? 'never' : `${(b / 1000).toFixed(1)} KB`);
const secs = (ms) => (ms === null ? 'never' : `${(ms / 1000).toFixed(2)} s`);
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);

function shortUrl(url, base) {
  if (url.startsWith(base)) return url.slice(base.length) || '/';
  return url.length > 90 ? `${url.slice(0, 87)}...` : url;
}

function report(opts, page, runs) {
  const figures = [
    { key: 'bytes', label: 'transferred', fmt: kb, target: TARGETS.bytes, targetText: '<= 500 KB' },
    { key: 'fcpMs', label: 'first contentful paint', fmt: secs, target: TARGETS.fcp, targetText: '<= 1.5 s' },
    { key: 'hydratedMs', label: 'hydrated', fmt: secs, target: TARGETS.hydrated, targetText: '<= 4 s' },
    { key: 'networkIdleMs', label: 'network idle', fmt: secs },
    { key: 'ttfbMs', label: 'HTML response headers', fmt: secs },
    { key: 'domContentLoadedMs', label: 'DOMContentLoaded', fmt: secs },
    { key: 'requests', label: 'requests', fmt: String },
    { key: 'decodedBytes', label: 'decoded size', fmt: kb },
  ];
  const summary = { median: {}, worst: {}, verdicts: {} };
  console.log(`\n${page.path}${page.login ? ' (logged in as a provider)' : ' (anonymous)'}: ${runs.length} run(s)`);
  console.log(`  ${pad('', 24)}${lpad('median', 11)}${lpad('worst', 11)}   ${pad('target', 11)}result`);
  let pass = true;
  for (const f of figures) {
    const values = runs.map((r) => r[f.key]);
    const m = median(values);
    const w = worst(values);
    summary.median[f.key] = m;
    summary.worst[f.key] = w;
    let verdict = '';
    if (f.target !== undefined) {
      const ok = m !== null && m <= f.target;
      const worstOk = w !== null && w <= f.target;
      summary.verdicts[f.key] = ok ? 'PASS' : 'FAIL';
      pass &&= ok;
      verdict = ok ? (worstOk ? 'PASS' : 'PASS (worst run over)') : 'FAIL';
    }
    console.log(`  ${pad(f.label, 24)}${lpad(f.fmt(m), 11)}${lpad(f.fmt(w), 11)}   ${pad(f.targetText ?? '', 11)}${verdict}`);
  }
  runs.forEach((r, i) => r.notes.forEach((n) => console.log(`  note, run ${i + 1}: ${n}`)));
  // A redirect elsewhere (e.g. /area to the login page when the session is not accepted)
  // means the wrong page was measured: not a pass.
  const wrongPage = runs.some((r) => new URL(r.finalUrl).pathname !== page.path);
  if (wrongPage) {
    summary.verdicts.page = 'FAIL';
    pass = false;
    console.log(`  FAIL: the browser did not stay on ${page.path}; these figures are of another page`);
  }
  // The resources of the run with the median weight, in request order.
  const sortedByBytes = [...runs].sort((a, b) => a.bytes - b.bytes);
  const shown = sortedByBytes[Math.floor((sortedByBytes.length - 1) / 2)];
  console.log(`  resources (run ${runs.indexOf(shown) + 1}; ms from navigation start):`);
  console.log(`    ${pad('type', 11)}${lpad('status', 6)} ${pad('encoding', 9)}${lpad('transfer', 11)}${lpad('decoded', 11)}${lpad('start', 8)}${lpad('end', 8)}  url`);
  for (const r of shown.resources) {
    console.log(
      `    ${pad(r.type, 11)}${lpad(r.status ?? '-', 6)} ${pad(r.contentEncoding ?? '-', 9)}${lpad(kb(r.encodedBytes), 11)}${lpad(kb(r.decodedBytes), 11)}` +
        `${lpad(r.startMs ?? '-', 8)}${lpad(r.endMs ?? '-', 8)}  ${r.method === 'GET' ? '' : `${r.method} `}${shortUrl(r.url, opts.base)}` +
        `${r.failed ? ` [${r.failed}]` : ''}${r.unfinished ? ' [unfinished]' : ''}${r.redirectedTo ? ` -> ${shortUrl(r.redirectedTo, opts.base)}` : ''}`,
    );
  }
  return { pass, summary };
}

// ------------------------------------------------------------------------------------- main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const browser = await chromium.launch({ executablePath: opts.chromium, headless: true, args: LAUNCH_ARGS });
  const results = [];
  let allPass = true;
  try {
    const version = browser.version();
    const network = opts.throttle === 'slow4g'
      ? 'Slow 4G, applied through CDP: 150 ms latency, 1.6 Mbit/s down, 750 Kbit/s up; no CPU throttling'
      : 'no throttling';
    console.log(`Chromium ${version}; ${network}; ${opts.runs} cold run(s) per page on ${opts.base}`);
    const cookie = opts.pageList.some((p) => p.login) ? await providerSession(opts) : null;
    for (const page of opts.pageList) {
      const runs = [];
      for (let i = 0; i < opts.runs; i++) {
        process.stderr.write(`  measuring ${page.path}, run ${i + 1}/${opts.runs}...\n`);
        runs.push(await measureOnce(browser, opts, page, page.login ? cookie : null));
      }
      const { pass, summary } = report(opts, page, runs);
      allPass &&= pass;
      results.push({ path: page.path, login: page.login, ...summary, pass, runs });
    }
    if (opts.json) {
      const out = {
        date: new Date().toISOString(),
        base: opts.base,
        chromium: version,
        launchArgs: LAUNCH_ARGS,
        throttle: opts.throttle === 'slow4g' ? { method: 'CDP Network.emulateNetworkConditions', ...SLOW_4G, cpu: 'none' } : null,
        targets: { bytes: TARGETS.bytes, fcpMs: TARGETS.fcp, hydratedMs: TARGETS.hydrated, checkedOn: 'median' },
        runsPerPage: opts.runs,
        pass: allPass,
        pages: results,
      };
      writeFileSync(opts.json, `${JSON.stringify(out, null, 2)}\n`);
      console.log(`\nRaw figures written to ${opts.json}.`);
    }
  } finally {
    await browser.close();
  }
  console.log(`\n${allPass ? 'PASS: every target met' : 'FAIL: some targets missed'}${opts.throttle === 'none' ? ' (unthrottled run: the targets are for Slow 4G)' : ''}.`);
  if (!allPass && opts.fail) process.exitCode = 1;
}

main().catch((error) => {
  console.error(`error: ${error && error.message ? error.message : error}`);
  process.exit(2);
});
