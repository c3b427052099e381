//! The rule of the store, as a test: no code outside `app/src/store/` runs SQL (`app/src/db.rs`
//! keeps the pool and the migrations; even its health check asks the store).

use std::path::{Path, PathBuf};

/// What running SQL looks like in the source.
fn runs_sql(line: &str) -> bool {
    let line = line.trim_start();
    line.contains("sqlx::query")
        || line.contains("sqlx::raw_sql")
        || (line.starts_with("use sqlx") && line.contains("query"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn only_the_store_runs_sql() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let store = src.join("store");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut offenders = Vec::new();
    let mut in_store = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
        let hits: Vec<usize> = text.lines().enumerate().filter(|(_, l)| runs_sql(l)).map(|(n, _)| n + 1).collect();
        if file.starts_with(&store) {
            in_store += hits.len();
        } else {
            offenders
                .extend(hits.into_iter().map(|n| format!("{}:{n}", file.strip_prefix(&src).unwrap_or(file).display())));
        }
    }
    // Not vacuous: the walk saw the code base and the store's SQL.
    assert!(files.len() > 50 && in_store > 50, "walked {} files, {in_store} SQL lines in the store", files.len());
    assert!(offenders.is_empty(), "SQL outside app/src/store/ (move it into a store module): {offenders:#?}");
}

#[test]
fn the_guard_recognises_sql() {
    assert!(runs_sql(r#"    sqlx::query("SELECT 1")"#));
    assert!(runs_sql("let n = sqlx::query_scalar::<_, i64>(sql)"));
    assert!(runs_sql("use sqlx::{query, Row};"));
    assert!(!runs_sql("use sqlx::FromRow;"));
    assert!(!runs_sql("let tx = store::begin_write(db).await?;"));
}
