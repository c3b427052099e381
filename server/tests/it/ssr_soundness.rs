//! Server rendering under concurrency, on both databases: every page, rendered by 64 clients at
//! once, serializes exactly the resources it serializes when rendered alone, none of them an
//! error the page would not show alone.
//!
//! The browser hydrates a page against these serialized resources, in the order it creates
//! them. A resource that Leptos created during server rendering but the browser does not (an
//! orphaned copy from a suspense body run twice) shifts every later resource, and when that copy
//! ran after its owner was gone it holds an error (`internal`, `unauthenticated`): the browser
//! then builds an error box where the content is and panics while hydrating (docs/ssr.md).

use crate::support;

use std::collections::BTreeMap;
use std::sync::Arc;

use reqwest::StatusCode;
use support::{fiscal_code, Backend, TestApp};

/// One serialized resource of a rendered page: its id, and the error code when it is an `Err`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Serialized {
    id: u64,
    error: Option<String>,
}

/// The `__RESOLVED_RESOURCES[N] = "…";` entries of a page, in id order.
fn serialized_resources(html: &str) -> Vec<Serialized> {
    const MARK: &str = "__RESOLVED_RESOURCES[";
    let mut found = BTreeMap::new();
    let mut rest = html;
    while let Some(start) = rest.find(MARK) {
        rest = &rest[start + MARK.len()..];
        let Some(close) = rest.find(']') else { break };
        let Ok(id) = rest[..close].parse::<u64>() else { continue };
        rest = &rest[close + 1..];
        let Some(body) = rest.strip_prefix(" = \"") else { continue };
        // A Rust Debug string literal: ends at the first quote not escaped by a backslash.
        let mut end = 0;
        let mut escaped = false;
        for (i, c) in body.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    end = i;
                    break;
                }
                _ => escaped = false,
            }
        }
        let literal = body[..end].replace("\\\"", "\"").replace("\\\\", "\\");
        let error = serde_json::from_str::<serde_json::Value>(&literal).ok().and_then(|value| {
            value.get("Err").map(|e| e.get("code").and_then(|c| c.as_str()).unwrap_or("?").to_string())
        });
        found.insert(id, error);
        rest = &body[end..];
    }
    found.into_iter().map(|(id, error)| Serialized { id, error }).collect()
}

#[test]
fn the_parser_reads_ids_and_errors_of_serialized_resources() {
    let html = r#"<script>__RESOLVED_RESOURCES=[];__RESOLVED_RESOURCES[3] = "{\"Err\":{\"code\":\"internal\"}}";__RESOLVED_RESOURCES[1] = "{\"Ok\":{\"name\":\"a \\\"b\\\" c\"}}";</script>"#;
    assert_eq!(
        serialized_resources(html),
        vec![Serialized { id: 1, error: None }, Serialized { id: 3, error: Some("internal".into()) }]
    );
}

/// The text of the page's `<title>` (empty when it has none).
fn page_title(html: &str) -> String {
    let Some(start) = html.find("<title>") else { return String::new() };
    let rest = &html[start + "<title>".len()..];
    rest[..rest.find("</title>").unwrap_or(0)].to_string()
}

/// A page to render, and the browser (cookie jar) that asks for it.
#[derive(Clone)]
struct Load {
    who: &'static str,
    client: reqwest::Client,
    path: String,
}

async fn render(app: &TestApp, load: &Load) -> (StatusCode, String) {
    let response = load.client.get(app.url(&load.path)).header("Accept", "text/html").send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// The first `href` of `html` that starts with `prefix` (a detail page of a console list).
fn first_link(html: &str, prefix: &str) -> Option<String> {
    let start = html.find(&format!("href=\"{prefix}"))? + "href=\"".len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].replace("&amp;", "&"))
}

async fn pages_render_under_concurrency_as_they_do_alone(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[]).await else { return };
    let app = Arc::new(app);

    // Arrange: a provider with a draft request, its documents and one payment attempt; the
    // Segreteria; an anonymous visitor.
    let provider = support::provider_with_draft(
        &*app,
        "ssr@provider.it",
        "Società Veneta di Formazione",
        &fiscal_code("0123456789"),
        "SOCIETA_SCIENTIFICA",
    )
    .await;
    support::upload_required_documents(&*app, &provider).await;
    let page: serde_json::Value = app.call(&provider, "payments/page", &[]).await.json().await.unwrap();
    let ids =
        page["carts"][0].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect::<Vec<_>>().join(",");
    let paid = app
        .call(
            &provider,
            "payments/pay",
            &[
                ("idempotency_key", page["idempotency_key"].as_str().unwrap()),
                ("debts", &ids),
                ("payer_email", "t@example.it"),
            ],
        )
        .await;
    assert_eq!(paid.status(), StatusCode::OK);
    let segreteria = support::browser();
    assert!(app.login(&segreteria, support::ADMIN_EMAIL, support::ADMIN_PASSWORD).await.status().is_success());
    let anonymous = support::browser();

    let mut loads = Vec::new();
    for path in [
        "/",
        "/accedi",
        "/registrazione",
        "/password-dimenticata",
        "/reimposta-password?token=sconosciuto",
        "/verifica-email?token=sconosciuto",
        "/account",
        "/area",
        "/segreteria",
    ] {
        loads.push(Load { who: "anonymous", client: anonymous.clone(), path: path.into() });
    }
    for path in [
        "/",
        "/area",
        "/area/censimento",
        "/area/domanda",
        "/area/documenti",
        "/area/pagamento",
        "/area/pagamenti",
        "/area/eventi",
        "/area/estratto-conto",
        "/area/quietanza",
        "/pagamenti/ritorno?idSession=sconosciuta&esito=OK",
        "/account",
        "/segreteria",
    ] {
        loads.push(Load { who: "provider", client: provider.clone(), path: path.into() });
    }
    let mut segreteria_pages: Vec<String> = [
        "/segreteria",
        "/segreteria/pagamenti",
        "/segreteria/tariffe",
        "/segreteria/dovuti",
        "/segreteria/dovuti?stato=QUIETANZE",
        "/account",
        "/area",
    ]
    .map(String::from)
    .to_vec();
    for (list, prefix) in [
        ("/segreteria?stato=BOZZA", "/segreteria/domande/"),
        ("/segreteria/pagamenti", "/segreteria/pagamenti/"),
        ("/segreteria/tariffe", "/segreteria/tariffe/"),
        ("/segreteria/dovuti", "/segreteria/dovuti/"),
    ] {
        let (_, html) = render(&app, &Load { who: "segreteria", client: segreteria.clone(), path: list.into() }).await;
        let detail = first_link(&html, prefix).unwrap_or_else(|| panic!("{list} links to a {prefix}… page"));
        segreteria_pages.push(detail);
    }
    let provider_id: String =
        sqlx::query_scalar("SELECT p.id FROM providers p JOIN users u ON u.id = p.owner_user_id WHERE u.email = $1")
            .bind("ssr@provider.it")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    segreteria_pages.push(format!("/segreteria/provider/{provider_id}/estratto-conto"));
    for path in segreteria_pages {
        loads.push(Load { who: "segreteria", client: segreteria.clone(), path });
    }

    // Each page alone: what it serializes, and that it holds no error the page would not show.
    let mut alone = Vec::new();
    for load in &loads {
        let (status, html) = render(&app, load).await;
        let resources = serialized_resources(&html);
        assert!(!resources.is_empty(), "{} {}: no serialized resource at all ({status})", load.who, load.path);
        for r in &resources {
            // Nothing fails inside a page on its own; and a logged-in visitor's page never
            // holds data fetched as if nobody were logged in.
            let impossible = r.error.as_deref() == Some("internal")
                || (load.who != "anonymous" && r.error.as_deref() == Some("unauthenticated"));
            assert!(!impossible, "{} {} alone: resource {} is {:?}", load.who, load.path, r.id, r.error);
        }
        // Every console page names itself in the browser's tab from the server HTML on, also
        // the lazy ones (a page in a wasm chunk of its own, app/src/lib.rs `lazy_page!`).
        if load.who == "segreteria" && load.path.starts_with("/segreteria") {
            let title = page_title(&html);
            assert!(title.contains("Console Segreteria"), "{}: <title> is {title:?}", load.path);
        }
        alone.push((status, resources));
    }

    // Act: every page, many times, 64 at once.
    const ROUNDS: usize = 12;
    const CONCURRENCY: usize = 64;
    let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let mut tasks = tokio::task::JoinSet::new();
    for round in 0..ROUNDS {
        for (index, load) in loads.iter().enumerate() {
            let (app, load, permits) = (app.clone(), load.clone(), permits.clone());
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await.unwrap();
                let (status, html) = render(&app, &load).await;
                (round, index, status, serialized_resources(&html))
            });
        }
    }

    // Assert: the same statuses and the same serialized resources as alone, error for error.
    let mut renders = 0;
    let mut differences = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let (round, index, status, resources) = done.unwrap();
        renders += 1;
        let (alone_status, alone_resources) = &alone[index];
        if status != *alone_status || resources != *alone_resources {
            let load = &loads[index];
            differences.push(format!(
                "round {round}, {} {}: {status} {resources:?}, alone {alone_status} {alone_resources:?}",
                load.who, load.path
            ));
        }
    }
    assert_eq!(renders, ROUNDS * loads.len());
    assert!(
        differences.is_empty(),
        "{} of {renders} renders differ from the page alone:\n{}",
        differences.len(),
        differences.join("\n")
    );

    sim.stop();
    Arc::try_unwrap(app).ok().expect("no render still holds the app").stop().await;
}
both_backends!(pages_render_under_concurrency_as_they_do_alone, pages_render_under_concurrency_as_they_do_alone);
