//! Checks of the repository itself, run with the app's unit tests (`cargo test -p app`).
//!
//! * Everything the code cites is in the clone: no file mentions the private reference notes
//!   the docs were written from, or a folder beside the repository.
//! * Every citation of a section of a page in `docs/` (written `docs/` + page + `.md §` +
//!   number, or page + `.md §` + number inside `docs/`) names a heading that exists, e.g.
//!   `## 4. …` or `### 4.2 …`.
//! * The SQLite and PostgreSQL migrations have the same versions.
//! * The module graph of the app crate has no cycle (CONTRIBUTING, "Layers").
//!
//! Plain std only; the needles are assembled at run time so that this file does not match them.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The repository's root (the app crate lives in `app/`).
fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// Folders walked, relative to the root.
const FOLDERS: [&str; 9] = ["app", "server", "frontend", "end2end", "scripts", "docs", "migrations", "style", "xsd"];

/// Single files checked at the root.
const ROOT_FILES: [&str; 3] = ["README.md", "CONTRIBUTING.md", "Makefile"];

/// Paths (relative to the root) never walked: generated, downloaded or grown by tools.
const SKIPPED: [&str; 7] = [
    "server/fuzz/corpus",
    "server/fuzz/artifacts",
    "end2end/node_modules",
    "end2end/test-results",
    "end2end/playwright-report",
    "style/node_modules",
    "style/generated",
];

/// Folder names never walked, wherever they are.
const SKIPPED_NAMES: [&str; 3] = ["node_modules", "target", ".git"];

/// A text file of the repository: its path relative to the root (with `/`) and its content.
struct TextFile {
    path: String,
    text: String,
}

/// Every UTF-8 file the checks read, walked once for all of them. Binary files (fonts, images,
/// PDFs) are skipped.
fn text_files() -> &'static [TextFile] {
    static FILES: std::sync::OnceLock<Vec<TextFile>> = std::sync::OnceLock::new();
    FILES.get_or_init(walk_repository)
}

/// The Rust sources of the app crate.
fn app_sources() -> impl Iterator<Item = &'static TextFile> {
    text_files().iter().filter(|f| f.path.starts_with("app/src/") && f.path.ends_with(".rs"))
}

fn walk_repository() -> Vec<TextFile> {
    let root = root();
    let mut files = Vec::new();
    for folder in FOLDERS {
        walk(&root, &root.join(folder), &mut files);
    }
    for name in ROOT_FILES {
        if let Some(file) = read_text(&root, &root.join(name)) {
            files.push(file);
        }
    }
    assert!(files.len() > 100, "the walk found only {} text files under {}: wrong root?", files.len(), root.display());
    files
}

fn walk(root: &Path, dir: &Path, files: &mut Vec<TextFile>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else { continue };
        if meta.is_dir() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if SKIPPED_NAMES.contains(&name.as_str()) || SKIPPED.contains(&relative(root, &path).as_str()) {
                continue;
            }
            walk(root, &path, files);
        } else if meta.is_file() {
            if let Some(file) = read_text(root, &path) {
                files.push(file);
            }
        }
    }
}

fn read_text(root: &Path, path: &Path) -> Option<TextFile> {
    let bytes = fs::read(path).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    (!text.contains('\0')).then(|| TextFile { path: relative(root, path), text })
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/")
}

/// What no file may mention: the names of the reference notes kept outside the repository, and
/// the folders they live in.
fn forbidden() -> Vec<String> {
    [["SIL-", "REFERENCE"], ["ECM-", "DOMAIN"], ["CONVEN", "TIONS"], ["../", "shared"], ["shared/", "mypay"]]
        .iter()
        .map(|parts| parts.concat())
        .collect()
}

#[test]
fn no_file_refers_to_documents_outside_the_repository() {
    let needles = forbidden();
    let mut found = Vec::new();
    for file in text_files() {
        for (n, line) in file.text.lines().enumerate() {
            for needle in &needles {
                if line.contains(needle.as_str()) {
                    found.push(format!("{}:{}: mentions {needle:?}: {}", file.path, n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "cite the pages of docs/ instead (docs/mypay.md, docs/mypay-avvisi.md, docs/domain.md, CONTRIBUTING.md):\n{}",
        found.join("\n")
    );
}

/// One citation of a numbered section of a page of `docs/`.
#[derive(Debug, PartialEq, Eq)]
struct Citation {
    line: usize,
    /// The page's name without `.md` (`mypay` for `docs/mypay.md`).
    page: String,
    /// The section number, e.g. `4.2`.
    section: String,
}

/// The citations in `text`. `in_docs`: the text is a page of `docs/`, where a page may be named
/// without the `docs/` prefix. A list after the first number (`§4.3, §6.2 and §8`, `§2.3/§2.4`)
/// cites the same page.
fn citations(text: &str, in_docs: bool) -> Vec<Citation> {
    const MARK: &str = ".md §";
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut from = 0;
        while let Some(found) = line[from..].find(MARK) {
            let at = from + found;
            from = at + MARK.len();
            let token_start = line[..at]
                .char_indices()
                .rev()
                .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
                .last()
                .map_or(at, |(i, _)| i);
            let token = &line[token_start..at];
            let page = match token.rfind("docs/") {
                Some(i) if !token[i + 5..].contains('/') => &token[i + 5..],
                None if in_docs && !token.contains('/') => token,
                _ => continue,
            };
            if page.is_empty() {
                continue;
            }
            let mut rest = &line[from..];
            loop {
                let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
                let section = rest[..number_len].trim_end_matches('.');
                if section.is_empty() || !section.starts_with(|c: char| c.is_ascii_digit()) {
                    break;
                }
                out.push(Citation { line: n + 1, page: page.to_string(), section: section.to_string() });
                rest = &rest[number_len..];
                let Some(next) =
                    [", §", ", and §", " and §", " or §", "/§"].iter().find_map(|sep| rest.strip_prefix(sep))
                else {
                    break;
                };
                rest = next;
            }
        }
    }
    out
}

/// The section numbers of a Markdown page's headings (`## 4. Title` → `4`, `### 4.2 Title` →
/// `4.2`), outside fenced code blocks.
fn heading_numbers(text: &str) -> BTreeSet<String> {
    let mut numbers = BTreeSet::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim_start();
        let first = title.split_whitespace().next().unwrap_or("");
        let number = first.trim_end_matches('.');
        if !number.is_empty() && number.chars().all(|c| c.is_ascii_digit() || c == '.') {
            numbers.insert(number.to_string());
        }
    }
    numbers
}

#[test]
fn citations_are_read_with_their_section_lists() {
    // The pieces are split so that the scan of this very file does not read them as citations.
    let text = [
        "see docs/mypay",
        ".md §4.3, §6.2 and §8; ",
        "then (docs/mypay-avvisi",
        ".md §1.4 step 6).\n",
        "mypay",
        ".md §9.2.",
    ]
    .concat();
    let found = |in_docs| {
        citations(&text, in_docs)
            .into_iter()
            .map(|c| format!("{}:{}:{}", c.line, c.page, c.section))
            .collect::<Vec<_>>()
    };
    assert_eq!(found(false), ["1:mypay:4.3", "1:mypay:6.2", "1:mypay:8", "1:mypay-avvisi:1.4"]);
    assert_eq!(found(true), ["1:mypay:4.3", "1:mypay:6.2", "1:mypay:8", "1:mypay-avvisi:1.4", "2:mypay:9.2"]);
    let page = "# Title\n\n## 4. `paaSILInviaDovuti`\n\n### 4.2 The document\n\n```\n## 9. in code\n```\n";
    assert_eq!(heading_numbers(page), ["4", "4.2"].into_iter().map(String::from).collect());
}

#[test]
fn every_docs_citation_names_an_existing_numbered_heading() {
    let files = text_files();
    let pages: BTreeMap<String, BTreeSet<String>> = files
        .iter()
        .filter_map(|f| {
            let name = f.path.strip_prefix("docs/")?.strip_suffix(".md")?;
            (!name.contains('/')).then(|| (name.to_string(), heading_numbers(&f.text)))
        })
        .collect();
    let mut checked = 0;
    let mut dangling = Vec::new();
    for file in files {
        let in_docs = file.path.starts_with("docs/");
        for citation in citations(&file.text, in_docs) {
            checked += 1;
            let cited = format!("docs/{}.md §{}", citation.page, citation.section);
            match pages.get(&citation.page) {
                None => dangling.push(format!("{}:{}: {cited}: no such page", file.path, citation.line)),
                Some(numbers) if !numbers.contains(&citation.section) => dangling.push(format!(
                    "{}:{}: {cited}: no heading numbered {}",
                    file.path, citation.line, citation.section
                )),
                Some(_) => {}
            }
        }
    }
    assert!(checked > 50, "only {checked} citations found: is the scan still reading the citations?");
    assert!(dangling.is_empty(), "{} dangling citation(s):\n{}", dangling.len(), dangling.join("\n"));
}

/// The versions (numeric prefix of `<version>_<name>.sql`) of one migrations folder.
fn migration_versions(backend: &str) -> BTreeSet<String> {
    let dir = root().join("migrations").join(backend);
    let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".sql"))
        .map(|name| {
            let version: String = name.chars().take_while(char::is_ascii_digit).collect();
            assert!(
                !version.is_empty() && name[version.len()..].starts_with('_'),
                "migrations/{backend}/{name}: not <version>_<name>.sql"
            );
            version
        })
        .collect()
}

#[test]
fn sqlite_and_postgres_migrations_have_the_same_versions() {
    let sqlite = migration_versions("sqlite");
    let postgres = migration_versions("postgres");
    assert!(!sqlite.is_empty(), "no migrations found in migrations/sqlite");
    let only_sqlite: Vec<_> = sqlite.difference(&postgres).collect();
    let only_postgres: Vec<_> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "every migration needs both backends: only in migrations/sqlite: {only_sqlite:?}; only in migrations/postgres: {only_postgres:?}"
    );
}

/// The `app/src` tree CONTRIBUTING.md draws: folder → its `.rs` files (the first ```text block
/// that starts with `app/src/`; one line per folder, `./` for the root, a description after ` — `).
fn contributing_tree() -> BTreeMap<String, BTreeSet<String>> {
    let text = fs::read_to_string(root().join("CONTRIBUTING.md")).expect("CONTRIBUTING.md");
    let start = text.find("```text\napp/src/\n").expect("CONTRIBUTING.md draws the app/src tree in a ```text block");
    let block = &text[start + "```text\napp/src/\n".len()..];
    let block = &block[..block.find("```").expect("the tree block ends")];
    block
        .lines()
        .map(|line| {
            let listing = line.split(" — ").next().unwrap_or(line);
            let mut words = listing.split_whitespace();
            let dir = match words.next().unwrap_or_default().trim_end_matches('/') {
                "." => String::new(),
                dir => dir.to_string(),
            };
            // Data files are drawn for the reader; the check compares the code (`.rs`) files.
            (dir, words.filter(|w| w.ends_with(".rs")).map(str::to_string).collect())
        })
        .collect()
}

/// The same from the folders: every folder of `app/src` with its `.rs` files.
fn app_tree() -> BTreeMap<String, BTreeSet<String>> {
    fn visit(base: &Path, dir: &Path, tree: &mut BTreeMap<String, BTreeSet<String>>) {
        let mut files = BTreeSet::new();
        for entry in fs::read_dir(dir).expect("app/src is readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                visit(base, &path, tree);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.insert(entry.file_name().to_string_lossy().into_owned());
            }
        }
        tree.insert(relative(base, dir), files);
    }
    let base = root().join("app/src");
    let mut tree = BTreeMap::new();
    visit(&base, &base, &mut tree);
    tree
}

#[test]
fn the_tree_in_contributing_matches_the_folders_of_app_src() {
    let drawn = contributing_tree();
    let real = app_tree();
    let missing: Vec<_> = real.iter().filter(|(dir, files)| drawn.get(*dir) != Some(files)).collect();
    let stale: Vec<_> = drawn.keys().filter(|dir| !real.contains_key(*dir)).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "CONTRIBUTING.md's app/src tree disagrees with the folders: as they are now {missing:?}; drawn but gone {stale:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The module graph of `app`: an edge from module A to module B for every `crate::B…` or
// `super::B…` path in A's code (comments and the `#[cfg(test)] mod tests` at the end of a file
// left out); B is the longest known module that prefixes the path. A module's own ancestors
// (its `mod.rs` re-exports) are not edges. The graph must have no cycle: the layers are
// view → api → service → store → model, and concepts call each other's services in one
// direction only.

/// The module a file of `app/src` is (`payments/service.rs` → `payments::service`, `payments/mod.rs`
/// → `payments`, `lib.rs` → the empty root).
fn module_of(relative: &str) -> String {
    let stem = relative.trim_end_matches(".rs");
    let parts: Vec<&str> = stem.split('/').collect();
    let parts = match parts.last() {
        Some(&"mod") | Some(&"lib") => &parts[..parts.len() - 1],
        _ => &parts[..],
    };
    parts.join("::")
}

/// The code of a file without line comments and without its trailing `#[cfg(test)] mod tests`.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines().map(|line| line.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The paths written after `prefix::` in `code` (`prefix` is `crate` or `super`), with brace
/// groups expanded: `crate::{a::b, c}` gives `a::b` and `c`.
fn paths_after(code: &str, prefix: &str) -> Vec<String> {
    fn group(rest: &str, base: &str, out: &mut Vec<String>) {
        // `rest` starts just after `{`; entries up to the matching `}`.
        let mut depth = 0;
        let mut entry = String::new();
        for c in rest.chars() {
            match c {
                '{' => {
                    depth += 1;
                    entry.push(c);
                }
                '}' if depth == 0 => break,
                '}' => {
                    depth -= 1;
                    entry.push(c);
                }
                ',' if depth == 0 => {
                    path(entry.trim(), base, out);
                    entry.clear();
                }
                _ => entry.push(c),
            }
        }
        path(entry.trim(), base, out);
    }
    fn path(text: &str, base: &str, out: &mut Vec<String>) {
        let mut segments: Vec<&str> = vec![];
        let mut rest = text;
        loop {
            let end = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
            if end == 0 {
                break;
            }
            segments.push(&rest[..end]);
            rest = &rest[end..];
            match rest.strip_prefix("::") {
                Some(after) => rest = after,
                None => break,
            }
        }
        let full =
            [base].into_iter().filter(|b| !b.is_empty()).chain(segments.iter().copied()).collect::<Vec<_>>().join("::");
        if let Some(inner) = rest.strip_prefix('{') {
            group(inner, &full, out);
        } else if !full.is_empty() {
            out.push(full);
        }
    }
    let needle = format!("{prefix}::");
    let mut out = vec![];
    let mut from = 0;
    while let Some(found) = code[from..].find(&needle) {
        let at = from + found;
        from = at + needle.len();
        if code[..at].chars().next_back().is_some_and(|c| is_ident(c) || c == ':') {
            continue; // `foo::crate::`, `super::super::` is read from its first `super`
        }
        path(&code[from..], "", &mut out);
    }
    out
}

/// Module → the modules it uses, over every `.rs` file of `app/src`.
fn app_module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join("app/src");
    let files: Vec<&TextFile> = app_sources().collect();
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(&f.path["app/src/".len()..])).collect();
    assert!(modules.len() > 50, "only {} modules found under {}", modules.len(), src.display());
    let resolve = |path: &str| -> Option<String> {
        let parts: Vec<&str> = path.split("::").collect();
        (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|candidate| modules.contains(candidate))
    };
    let mut graph = BTreeMap::new();
    for file in &files {
        let relative = &file.path["app/src/".len()..];
        let module = module_of(relative);
        // `super` of `a/b.rs` (module `a::b`) is `a`; of `a/b/mod.rs` (module `a::b`) too.
        let parent = {
            let mut parts: Vec<&str> = module.split("::").collect();
            parts.pop();
            parts.join("::")
        };
        let code = code_of(&file.text);
        let mut used = BTreeSet::new();
        let targets = paths_after(&code, "crate").into_iter().chain(paths_after(&code, "super").into_iter().map(|p| {
            if parent.is_empty() {
                p
            } else {
                format!("{parent}::{p}")
            }
        }));
        for target in targets {
            let Some(target) = resolve(&target) else { continue };
            let ancestor = module.starts_with(&format!("{target}::"));
            if target != module && !ancestor && !target.is_empty() {
                used.insert(target);
            }
        }
        graph.insert(module, used);
    }
    graph
}

/// One cycle of `graph`, as the list of its modules (first = last), if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(node.to_string(), Mark::Open);
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match marks.get(next.as_str()) {
                Some(Mark::Open) => {
                    let start = stack.iter().position(|n| n == next).unwrap_or(0);
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Some(Mark::Done) => {}
                None => {
                    if let Some(cycle) = visit(next, graph, marks, stack) {
                        return Some(cycle);
                    }
                }
            }
        }
        stack.pop();
        marks.insert(node.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if !marks.contains_key(node.as_str()) {
            if let Some(cycle) = visit(node, graph, &mut marks, &mut vec![]) {
                return Some(cycle);
            }
        }
    }
    None
}

#[test]
fn module_paths_are_read_with_their_groups() {
    let code = "use crate::{accounts::Role, payments::{model::X, server}};\nlet a = crate::db::Db::new(); super::api::f(); x::super::no();";
    assert_eq!(
        paths_after(code, "crate"),
        vec!["accounts::Role", "payments::model::X", "payments::server", "db::Db::new"]
    );
    assert_eq!(paths_after(code, "super"), vec!["api::f"]);
    assert_eq!(module_of("payments/service.rs"), "payments::service");
    assert_eq!(module_of("payments/mod.rs"), "payments");
    assert_eq!(code_of("a // crate::b\nc\n#[cfg(test)]\nmod tests { crate::d }"), "a \nc");
}

#[test]
fn a_cycle_is_found() {
    let graph: BTreeMap<String, BTreeSet<String>> =
        [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"]), ("d", vec!["a"])]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
            .collect();
    assert_eq!(find_cycle(&graph), Some(vec!["a".to_string(), "b".into(), "c".into(), "a".into()]));
    let acyclic: BTreeMap<String, BTreeSet<String>> = graph.into_iter().filter(|(k, _)| k != "c").collect();
    assert_eq!(find_cycle(&acyclic), None);
}

#[test]
fn the_module_graph_of_app_has_no_cycle() {
    let graph = app_module_graph();
    let edges: usize = graph.values().map(BTreeSet::len).sum();
    assert!(edges > 200, "only {edges} module edges found: is the parser reading the code?");
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "the modules of app depend on each other in a circle: {}\n(each arrow is a `crate::` or `super::` path in the first module's code; \
             move the shared item down a layer, see CONTRIBUTING \"Layers\")",
            cycle.join(" → ")
        );
    }
}

/// Every server function answers in `crate::codec::Json` (read from text in the browser, like
/// the page's serialized resources: one copy of each `Deserialize` in the wasm bundle).
#[test]
fn every_server_function_answers_in_the_app_codec() {
    let mut missing = vec![];
    let mut found = 0;
    for file in app_sources() {
        for (n, line) in file.text.lines().enumerate() {
            if line.trim_start().starts_with("#[server(") && !line.contains("#[server(default)]") {
                found += 1;
                if !line.contains("output = crate::codec::Json") {
                    missing.push(format!("{}:{}", file.path, n + 1));
                }
            }
        }
    }
    assert!(found > 40, "only {found} server functions found");
    assert!(missing.is_empty(), "server functions without `output = crate::codec::Json`: {missing:?}");
}
