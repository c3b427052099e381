// Builds the portal's single stylesheet, style/generated/ecm.css (cargo-leptos serves it as
// /pkg/ecm.css): Bootstrap Italia cut down to the selectors the pages use, then style/main.css.
//
//   node style/build-css.mjs            (run by `make assets`)
//
// What it does, in order:
//  1. PurgeCSS removes from bootstrap-italia.min.css every rule whose selector names a class,
//     id, tag or attribute found neither in app/src/**/*.rs nor in style/main.css (SAFELIST below
//     keeps what the pages need without naming it in the sources).
//  2. Custom properties (--bs-*, ...) that no kept declaration reads, directly or through a
//     chain of var(), are dropped (our own pass: PurgeCSS's `variables` option is not used).
//  3. @font-face rules are kept only for the families the kept rules name; every kept one gets
//     font-display: swap and absolute /bootstrap-italia/fonts/... URLs (the stylesheet's own
//     URL may change, e.g. with cargo-leptos hash-files).
//  4. The result and style/main.css are written to style/generated/ecm.css; the font files it
//     references are written into style/public/bootstrap-italia/fonts/ (and nothing else),
//     each woff2 cut down to the characters Italian text needs (SUBSET_RANGES, with harfbuzz
//     through `subset-font`): the four Titillium weights go from 72 to 46 KiB. Every kept
//     @font-face says so in `unicode-range`, so a character outside the subset (a provider's
//     name in Czech, say) is drawn with the next font of the stack instead of a blank box.
//  5. Sizes before/after (raw, gzip, brotli) are printed.

import { readFile, writeFile, mkdir, readdir, copyFile, rm } from "node:fs/promises";
import { existsSync, statSync } from "node:fs";
import { dirname, join, relative, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync, brotliCompressSync, constants as zlib } from "node:zlib";
import postcss from "postcss";
import { PurgeCSS } from "purgecss";
import subsetFont from "subset-font";

const STYLE_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = join(STYLE_DIR, "..");
const BI_DIST = join(STYLE_DIR, "node_modules/bootstrap-italia/dist");
const BI_CSS = join(BI_DIST, "css/bootstrap-italia.min.css");
const MAIN_CSS = join(STYLE_DIR, "main.css");
const OUT_CSS = join(STYLE_DIR, "generated/ecm.css");
const PUBLIC_BI = join(STYLE_DIR, "public/bootstrap-italia");
const APP_SRC = join(ROOT, "app/src");
// Where the fonts are served from (assets-dir style/public is the site root).
const FONTS_URL = "/bootstrap-italia/fonts/";

// The characters the portal's fonts keep (see step 4): ASCII, Latin-1 (àèéìòù, «», °, ·),
// Œœ, dashes, typographic quotes and apostrophe, bullet, ellipsis, ‹›, the euro sign, arrows,
// minus, ≤ ≥ (a glyph the font lacks is simply not there: the next font of the stack draws it).
const SUBSET_RANGES = [
  [0x20, 0x7e], [0xa0, 0xff], [0x152, 0x153], [0x2013, 0x2014], [0x2018, 0x201e],
  [0x2022, 0x2022], [0x2026, 0x2026], [0x2039, 0x203a], [0x20ac, 0x20ac], [0x2190, 0x2193],
  [0x2212, 0x2212], [0x2264, 0x2265],
];
const hex = (n) => n.toString(16).toUpperCase();
const UNICODE_RANGE = SUBSET_RANGES.map(([a, b]) => (a === b ? `U+${hex(a)}` : `U+${hex(a)}-${hex(b)}`)).join(", ");
const SUBSET_TEXT = SUBSET_RANGES.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => String.fromCodePoint(a + i))).join("");

// Kept although no source file names them literally. Each entry says why.
const SAFELIST = {
  standard: [
    // The document elements come from `shell` and the browser, not from app/src.
    "html",
    "body",
    ":root",
    // Bootstrap's state classes; the pages set some of them dynamically (`class:is-invalid=`)
    // and the kept rules of tabs, buttons, links and forms are written in terms of them.
    "show",
    "active",
    "disabled",
    "is-invalid",
    "is-valid",
    "was-validated",
    "fade",
    // Skip link and screen-reader-only text (`visually-hidden-focusable`, `visually-hidden`);
    // `sr-only` is Bootstrap Italia's older name of the same helper.
    "visually-hidden",
    "visually-hidden-focusable",
    "sr-only",
    "sr-only-focusable",
    // Keyboard focus ring, `:focus:not(.focus--mouse){border-color:#995c00;box-shadow:...}`:
    // PurgeCSS drops a selector made only of pseudo-classes (it finds no class, tag or
    // attribute in it), so the ring around focused inputs and buttons would vanish. Listing
    // `:focus` keeps such selectors; `.x:focus` still needs `.x` in the sources.
    // `focus--mouse`/`focus--keyboard` are set by Bootstrap Italia's JS (not loaded here).
    ":focus",
    "focus--keyboard",
    "focus--mouse",
  ],
  // Rules whose selector contains these anywhere (e.g. `.pagination .page-link[aria-current]`,
  // `[hidden]`): attributes that Leptos or the browser set, never written in app/src.
  greedy: [/aria-current/, /\[hidden\]/],
};

// ---------------------------------------------------------------------------------------------

async function rustFiles(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await rustFiles(path)));
    else if (entry.name.endsWith(".rs")) out.push(path);
  }
  return out.sort();
}

// Rust source: class names are string literals (`class="btn btn-primary"`,
// `attr:class="d-inline"`, `"alert-success"` later put in `format!("alert {class}")`) and
// Leptos directives (`class:is-invalid=...`). Split on everything that cannot be part of a
// class name, keep every token, and also its pieces around `:`, `/` and `.` so that
// `class:is-invalid` yields `is-invalid` and `p.legale_nome` yields `p`.
function extractRust(content) {
  const tokens = new Set();
  for (const token of content.split(/[^A-Za-z0-9_\-:/.]+/)) {
    if (!token) continue;
    tokens.add(token);
    for (const piece of token.split(/[:/.]+/)) if (piece) tokens.add(piece);
  }
  return [...tokens];
}

// ---------------------------------------------------------------------------------------------

// Custom properties read by `value` (names inside var(...)).
function varsRead(value) {
  return [...value.matchAll(/var\(\s*(--[A-Za-z0-9_-]+)/g)].map((m) => m[1]);
}

// Drops the custom-property declarations nothing reads. A property is read when a normal
// declaration (or an at-rule's params) uses it in var(), or when a read property's
// definition uses it (var() chains: --bs-btn-bg: var(--bs-primary)).
function pruneCustomProperties(root) {
  const definitions = new Map(); // name -> [decl]
  const used = new Set();
  root.walkDecls((decl) => {
    if (decl.prop.startsWith("--")) {
      if (!definitions.has(decl.prop)) definitions.set(decl.prop, []);
      definitions.get(decl.prop).push(decl);
    } else {
      for (const name of varsRead(decl.value)) used.add(name);
    }
  });
  root.walkAtRules((rule) => {
    for (const name of varsRead(rule.params)) used.add(name);
  });
  const queue = [...used];
  while (queue.length) {
    const name = queue.pop();
    for (const decl of definitions.get(name) ?? []) {
      for (const next of varsRead(decl.value)) {
        if (!used.has(next)) {
          used.add(next);
          queue.push(next);
        }
      }
    }
  }
  let removed = 0;
  for (const [name, decls] of definitions) {
    if (used.has(name)) continue;
    for (const decl of decls) decl.remove();
    removed += decls.length;
  }
  return { removed, kept: [...definitions.keys()].filter((n) => used.has(n)).length };
}

// Removes rules left empty (and at-rules left without rules) by the pruning.
function removeEmpty(root) {
  let again = true;
  while (again) {
    again = false;
    root.walk((node) => {
      if ((node.type === "rule" || (node.type === "atrule" && node.nodes)) && node.nodes.length === 0) {
        node.remove();
        again = true;
      }
    });
  }
}

function unquote(s) {
  return s.trim().replace(/^["']|["']$/g, "");
}

// Font families named by the kept rules (font-family and the `font` shorthand, plus the
// custom properties they read, e.g. --bs-font-sans-serif).
function familiesUsed(root) {
  const families = new Set();
  const add = (value) => {
    for (const part of value.split(",")) {
      const name = unquote(part.replace(/!important/, ""));
      if (name && !name.startsWith("var(")) families.add(name.toLowerCase());
    }
  };
  root.walkDecls((decl) => {
    if (decl.parent?.type === "atrule" && decl.parent.name === "font-face") return;
    if (decl.prop === "font-family" || /^--.*font-(sans-serif|monospace|serif|family)/.test(decl.prop)) add(decl.value);
    if (decl.prop === "font") add(decl.value.replace(/^.*?\d[\w.%]*(\/[\w.%]+)?\s+/, ""));
  });
  return families;
}

// Every kept @font-face: family used or removed, font-display: swap, absolute font URLs.
// Bootstrap Italia 2 ships the Titillium Web files but no @font-face rules (its JS loader adds
// them): the portal declares the weights it uses, so pages look right without JavaScript.
// fixFontFaces below adds font-display: swap and the unicode range to each.
const TITILLIUM_FACES = { 300: "300", 400: "regular", 600: "600", 700: "700" };
function titilliumFaces() {
  return Object.entries(TITILLIUM_FACES)
    .map(
      ([weight, file]) =>
        `@font-face { font-family: "Titillium Web"; font-style: normal; font-weight: ${weight}; ` +
        `src: url("${FONTS_URL}Titillium_Web/titillium-web-v10-latin-ext_latin-${file}.woff2") format("woff2"); }\n`,
    )
    .join("");
}

// Returns the font files (relative to dist/fonts/) the kept rules reference.
function fixFontFaces(root, cssDir, families) {
  const files = new Set();
  const removed = [];
  root.walkAtRules("font-face", (rule) => {
    let family = "";
    rule.walkDecls("font-family", (d) => (family = unquote(d.value)));
    if (!families.has(family.toLowerCase())) {
      removed.push(family);
      rule.remove();
      return;
    }
    let display = false;
    rule.walkDecls("font-display", (d) => {
      d.value = "swap";
      display = true;
    });
    if (!display) rule.append({ prop: "font-display", value: "swap" });
    rule.walkDecls("unicode-range", (d) => d.remove());
    rule.append({ prop: "unicode-range", value: UNICODE_RANGE });
    rule.walkDecls("src", (d) => {
      d.value = d.value.replace(/url\(\s*(["']?)([^"')]+)\1\s*\)/g, (whole, _q, url) => {
        if (url.startsWith("data:")) return whole;
        let path;
        if (url.startsWith(FONTS_URL)) path = url.slice(FONTS_URL.length);
        else if (/^[a-z]+:|^\/\//i.test(url) || url.startsWith("/"))
          throw new Error(`@font-face ${family}: cannot place ${url} under ${FONTS_URL}`);
        else {
          // Relative to the stylesheet it came from (dist/css/): ../fonts/X -> /bootstrap-italia/fonts/X
          const abs = posix.normalize(posix.join(cssDir, url.replace(/[?#].*$/, "")));
          if (!abs.startsWith("fonts/")) throw new Error(`@font-face ${family}: ${url} is outside dist/fonts/`);
          path = abs.slice("fonts/".length);
        }
        files.add(path);
        return `url("${FONTS_URL}${path}")`;
      });
    });
  });
  return { files, removed };
}

// Font weights and styles the kept rules ask for (to compare with the declared faces).
function weightsUsed(root) {
  const weights = new Set();
  root.walkDecls((decl) => {
    if (decl.parent?.type === "atrule" && decl.parent.name === "font-face") return;
    const value = decl.value.replace(/\s*!important/, "").trim();
    if (value && (decl.prop === "font-weight" || /^--.*font-weight/.test(decl.prop))) weights.add(value);
  });
  return [...weights].sort();
}

// ---------------------------------------------------------------------------------------------

function sizes(text) {
  const buf = Buffer.from(text);
  return {
    raw: buf.length,
    gzip: gzipSync(buf, { level: 9 }).length,
    brotli: brotliCompressSync(buf, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

function kb(n) {
  return `${(n / 1024).toFixed(1)} KiB`;
}

function printSizes(label, s) {
  console.log(`  ${label.padEnd(44)} raw ${kb(s.raw).padStart(10)}   gzip ${kb(s.gzip).padStart(9)}   brotli ${kb(s.brotli).padStart(9)}`);
}

async function main() {
  if (!existsSync(BI_CSS)) throw new Error(`${BI_CSS} missing: run \`npm ci\` in style/`);
  const biCss = await readFile(BI_CSS, "utf8");
  const mainCss = await readFile(MAIN_CSS, "utf8");
  const sources = await rustFiles(APP_SRC);

  const purged = await new PurgeCSS().purge({
    content: [...sources, MAIN_CSS],
    css: [{ raw: biCss, name: "bootstrap-italia.min.css" }],
    extractors: [
      { extractor: extractRust, extensions: ["rs"] },
      { extractor: extractRust, extensions: ["css"] },
    ],
    safelist: SAFELIST,
    keyframes: true,
    fontFace: false, // done below, together with main.css's faces
    variables: false, // done below: PurgeCSS misses var() chains
    rejected: process.argv.includes("--rejected"),
  });
  if (process.argv.includes("--rejected")) {
    await mkdir(dirname(OUT_CSS), { recursive: true });
    await writeFile(join(dirname(OUT_CSS), "rejected.txt"), purged[0].rejected.join("\n") + "\n");
  }

  // Bootstrap Italia (purged) first, then the portal's own rules.
  const bi = postcss.parse(purged[0].css, { from: undefined });
  const own = postcss.parse(titilliumFaces() + mainCss, { from: undefined });
  const root = postcss.root();
  root.append(bi.nodes);
  root.append(postcss.comment({ text: " style/main.css: the portal's own rules " }));
  root.append(own.nodes);

  const vars = pruneCustomProperties(root);
  removeEmpty(root);
  const families = familiesUsed(root);
  const fonts = fixFontFaces(root, "css", families);

  const header = `/* Generated by style/build-css.mjs from bootstrap-italia ${JSON.parse(await readFile(join(BI_DIST, "../package.json"), "utf8")).version} (purged) and style/main.css. Do not edit. */\n`;
  const out = header + root.toString().replace(/\n{3,}/g, "\n\n").trim() + "\n";
  await mkdir(dirname(OUT_CSS), { recursive: true });
  await writeFile(OUT_CSS, out);

  // Fonts: only the files the kept @font-face rules reference. The old full copies of
  // dist/css and dist/svg (no page uses the sprite) are removed.
  await rm(PUBLIC_BI, { recursive: true, force: true });
  const fontRows = [];
  for (const file of [...fonts.files].sort()) {
    const from = join(BI_DIST, "fonts", file);
    const to = join(PUBLIC_BI, "fonts", file);
    if (!existsSync(from)) throw new Error(`font ${file} referenced by the CSS is not in bootstrap-italia's dist/fonts`);
    await mkdir(dirname(to), { recursive: true });
    if (file.endsWith(".woff2")) {
      const subset = await subsetFont(await readFile(from), SUBSET_TEXT, { targetFormat: "woff2" });
      await writeFile(to, subset);
    } else {
      await copyFile(from, to);
    }
    fontRows.push([file, statSync(from).size, statSync(to).size]);
  }
  for (const license of new Set([...fonts.files].map((f) => f.split("/")[0]))) {
    for (const name of ["OFL.txt", "LICENSE.txt"]) {
      const from = join(BI_DIST, "fonts", license, name);
      if (existsSync(from)) await copyFile(from, join(PUBLIC_BI, "fonts", license, name));
    }
  }

  console.log(`build-css: ${relative(ROOT, OUT_CSS)} (${sources.length} Rust files scanned)`);
  printSizes("before: bootstrap-italia.min.css + main.css", sizes(biCss + mainCss));
  printSizes("  bootstrap-italia.min.css alone", sizes(biCss));
  printSizes("after:  generated/ecm.css", sizes(out));
  console.log(`  custom properties: ${vars.kept} kept, ${vars.removed} unused declarations removed`);
  console.log(`  font families used: ${[...families].sort().join(", ")}`);
  console.log(`  font weights used: ${weightsUsed(root).join(", ")}`);
  if (fonts.removed.length) console.log(`  @font-face removed (family unused): ${fonts.removed.join(", ")}`);
  let before = 0;
  let total = 0;
  for (const [file, original, size] of fontRows) {
    before += original;
    total += size;
    console.log(`  font ${FONTS_URL}${file}  ${kb(original)} -> ${kb(size)}`);
  }
  console.log(`  fonts written: ${fontRows.length} files, ${kb(before)} -> ${kb(total)} (subset ${UNICODE_RANGE}; woff2, already compressed)`);
}

main().catch((err) => {
  console.error(`build-css: ${err.message}`);
  process.exit(1);
});
