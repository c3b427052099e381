import { expect, test } from '@playwright/test';
import { admin } from '../playwright.config';
import { login } from './helpers';

// The Segreteria's pages live in wasm chunks of their own (app/src/lib.rs `lazy_page!`). The
// server names the chunks a page needs in its <head> (`<link rel="preload" … .wasm>`), so the
// browser fetches them beside the main bundle instead of one round trip later, while hydrating.

/** The `.wasm` files other than the main bundle that `html` asks the browser to preload. */
function preloadedChunks(html: string): string[] {
  const links = html.match(/<link\b[^>]*>/g) ?? [];
  return links
    .filter((tag) => /\brel="preload"/.test(tag) && /\btype="application\/wasm"/.test(tag))
    .map((tag) => /\bhref="([^"]+)"/.exec(tag)?.[1] ?? '')
    .filter((href) => href.endsWith('.wasm') && !/\/ecm[^/]*\.wasm$/.test(href));
}

test('a Segreteria page preloads its wasm chunks, and the browser fetches them', async ({ page }) => {
  await login(page, admin.email, admin.password);
  await expect(page).toHaveURL(/\/segreteria$/);

  for (const path of ['/segreteria', '/segreteria/pagamenti', '/segreteria/dovuti']) {
    // Many copies at once: Leptos' own pass, which ran outside the request's owner, named the
    // chunks in about half of the answers served concurrently, and in none of some.
    const answers = await Promise.all(Array.from({ length: 16 }, () => page.request.get(path)));
    const htmls = await Promise.all(answers.map(async (answer) => {
      expect(answer.status()).toBe(200);
      return answer.text();
    }));
    const html = htmls[0];
    const chunks = preloadedChunks(html);
    expect(chunks.length, `${path} names its chunks`).toBeGreaterThan(0);
    for (const other of htmls) expect(preloadedChunks(other), `${path}, served concurrently`).toEqual(chunks);
    const loader = (html.match(/<link\b[^>]*>/g) ?? []).filter((tag) => /\brel="modulepreload"/.test(tag) && /__wasm_split[^"]*\.js"/.test(tag));
    expect(loader.length, `${path} preloads the split loader once`).toBe(1);
    expect(new Set(chunks).size, `${path} names each chunk once`).toBe(chunks.length);

    const fetched = new Set<string>();
    const onRequest = (request: { url(): string }) => {
      const url = new URL(request.url());
      if (url.pathname.endsWith('.wasm')) fetched.add(url.pathname);
    };
    page.on('request', onRequest);
    await page.goto(path);
    await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
    page.off('request', onRequest);
    for (const chunk of chunks) {
      expect([...fetched], `${path}: the browser fetched ${chunk}`).toContain(chunk);
      const served = await page.request.get(chunk);
      expect(served.status(), chunk).toBe(200);
      expect(served.headers()['content-type'], chunk).toContain('application/wasm');
    }
  }

  // A provider's page is not lazy: it names no chunk.
  const home = await page.request.get('/');
  expect(preloadedChunks(await home.text())).toEqual([]);
});
