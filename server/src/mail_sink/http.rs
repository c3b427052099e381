//! The sink's web side: an inbox for people (Italian, like the portal) and a JSON API for
//! tests and scripts.
//!
//! * `GET /` – the inbox, newest first (time, recipients, subject, link).
//! * `GET /messaggi/{id}` – one message: envelope and headers, the text part in `<pre>`, the
//!   HTML part in a sandboxed `<iframe srcdoc>` (no scripts, no network), the raw source.
//! * `GET /api/messages` – every message as JSON ([`super::ReceivedMail`]), oldest first;
//!   `DELETE /api/messages` forgets them.
//! * `GET /api/fault`, `POST /api/fault` – the injected fault ([`super::Fault`], e.g.
//!   `{"kind":"temp_fail","count":2}`, `{"kind":"none"}`).
//! * `GET /healthz` – `ok`.
//!
//! Every text taken from a message is HTML-escaped: the mail under test may contain anything.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use app::mail::compose::escape;

use super::{Fault, ReceivedMail, Store};

/// The routes, over the sink's store.
pub(crate) fn router(store: Arc<Store>) -> Router {
    Router::new()
        .route("/", get(inbox))
        .route("/messaggi/{id}", get(message_page))
        .route("/api/messages", get(api_messages).delete(api_clear))
        .route("/api/fault", get(api_fault).post(api_set_fault))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(store)
}

async fn api_messages(State(store): State<Arc<Store>>) -> Json<Vec<ReceivedMail>> {
    Json(store.messages())
}

async fn api_clear(State(store): State<Arc<Store>>) -> StatusCode {
    store.clear();
    StatusCode::NO_CONTENT
}

async fn api_fault(State(store): State<Arc<Store>>) -> Json<Fault> {
    Json(store.fault())
}

async fn api_set_fault(State(store): State<Arc<Store>>, Json(fault): Json<Fault>) -> Json<Fault> {
    store.set_fault(fault);
    Json(store.fault())
}

async fn inbox(State(store): State<Arc<Store>>) -> Response {
    let messages = store.messages();
    let mut body = String::new();
    if messages.is_empty() {
        body.push_str("<p>Nessun messaggio ricevuto.</p>\n");
    } else {
        body.push_str(
            "<table>\n<thead><tr><th scope=\"col\">Ricevuto (UTC)</th><th scope=\"col\">Destinatari</th>\
             <th scope=\"col\">Oggetto</th><th scope=\"col\"></th></tr></thead>\n<tbody>\n",
        );
        for mail in messages.iter().rev() {
            let to = mail.to.clone().unwrap_or_else(|| mail.envelope_to.join(", "));
            let _ = writeln!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><a href=\"/messaggi/{}\">Apri</a></td></tr>",
                escape(&mail.received_at),
                escape(&to),
                escape(mail.subject.as_deref().unwrap_or("(senza oggetto)")),
                mail.id
            );
        }
        body.push_str("</tbody>\n</table>\n");
    }
    let count = match messages.len() {
        1 => "1 messaggio".to_string(),
        n => format!("{n} messaggi"),
    };
    page(
        "Posta inviata dal portale (sink di sviluppo)",
        &format!("<p>{count}. Strumento di sviluppo e test: niente è stato recapitato davvero.</p>\n{body}"),
    )
}

async fn message_page(State(store): State<Arc<Store>>, Path(id): Path<String>) -> Response {
    let Some(mail) = id.parse::<u64>().ok().and_then(|id| store.message(id)) else {
        let mut response = page(
            "Messaggio non trovato",
            "<p>Nessun messaggio con questo numero.</p>\n<p><a href=\"/\">Torna all'elenco</a></p>\n",
        );
        *response.status_mut() = StatusCode::NOT_FOUND;
        return response;
    };
    let none = "—";
    let mut body = String::from("<p><a href=\"/\">Torna all'elenco</a></p>\n<table>\n");
    let rows = [
        ("Ricevuto (UTC)", mail.received_at.clone()),
        ("Mittente (busta)", if mail.envelope_from.is_empty() { "<>".to_string() } else { mail.envelope_from.clone() }),
        ("Destinatari (busta)", mail.envelope_to.join(", ")),
        ("Da", mail.from.clone().unwrap_or_else(|| none.into())),
        ("A", mail.to.clone().unwrap_or_else(|| none.into())),
        ("Oggetto", mail.subject.clone().unwrap_or_else(|| none.into())),
        ("Message-ID", mail.message_id.clone().unwrap_or_else(|| none.into())),
    ];
    for (name, value) in rows {
        let _ = writeln!(body, "<tr><th scope=\"row\">{name}</th><td>{}</td></tr>", escape(&value));
    }
    body.push_str("</table>\n");
    let headers = mail.raw.split("\r\n\r\n").next().unwrap_or_default();
    let _ = writeln!(body, "<h2>Intestazioni</h2>\n<pre>{}</pre>", escape(headers));
    match &mail.text {
        Some(text) => {
            let _ = writeln!(body, "<h2>Testo</h2>\n<pre>{}</pre>", escape(text));
        }
        None => body.push_str("<h2>Testo</h2>\n<p>Nessuna parte text/plain.</p>\n"),
    }
    match &mail.html {
        // `sandbox` with no permissions: no scripts, no forms, a unique origin.
        Some(html) => {
            let _ = writeln!(
                body,
                "<h2>HTML</h2>\n<iframe sandbox=\"\" title=\"Parte HTML del messaggio\" srcdoc=\"{}\"></iframe>",
                escape(html)
            );
        }
        None => body.push_str("<h2>HTML</h2>\n<p>Nessuna parte text/html.</p>\n"),
    }
    let _ = writeln!(body, "<h2>Sorgente</h2>\n<pre>{}</pre>", escape(&mail.raw));
    let title = format!("Messaggio {}: {}", mail.id, mail.subject.as_deref().unwrap_or("(senza oggetto)"));
    page(&title, &body)
}

/// A whole page; `title` is escaped here, `body` must already be.
fn page(title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"it\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>\n\
         body{{font-family:sans-serif;margin:1.5rem;color:#1a1a1a}}\n\
         table{{border-collapse:collapse}} th,td{{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}}\n\
         pre{{background:#f4f4f4;padding:.6rem;white-space:pre-wrap;overflow-wrap:anywhere}}\n\
         iframe{{width:100%;height:28rem;border:1px solid #ccc}}\n</style>\n</head>\n<body>\n<h1>{title}</h1>\n{body}</body>\n</html>\n",
        title = escape(title)
    );
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    // The mail's HTML must not load anything (tracking pixels, scripts): images only inline.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; img-src data:"),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
