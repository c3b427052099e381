//! CSRF protection over real HTTP, on both databases: a state-changing request that a browser
//! says comes from another site is refused with 403 and changes nothing; the portal's own
//! pages (same origin) and non-browser clients keep working.

use crate::support;

use reqwest::StatusCode;
use support::{Backend, TestApp};

const EVIL: &str = "https://ecm-veneto.evil.example";

async fn users(app: &TestApp) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(app.state.db.pool()).await.unwrap().get::<i64, _>("n")
}

fn register_form(email: &str) -> [(&'static str, String); 4] {
    [
        ("email", email.to_string()),
        ("display_name", "Anna Bianchi".to_string()),
        ("password", "Provider2026".to_string()),
        ("password_confirm", "Provider2026".to_string()),
    ]
}

async fn forged_requests_change_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let client = app.client();
    let before = users(&app).await;

    // A page on another site posting the registration form (no-JS form post shape).
    let forged = client
        .post(app.url("/api/accounts/register"))
        .header("Origin", EVIL)
        .header("Sec-Fetch-Site", "cross-site")
        .form(&register_form("vittima@provider.it"))
        .send()
        .await
        .unwrap();
    let status = forged.status();
    let body = forged.text().await.unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("Richiesta rifiutata"), "{body}");
    // An older browser that sends only Origin.
    let origin_only = client
        .post(app.url("/api/accounts/register"))
        .header("Origin", EVIL)
        .form(&register_form("vittima@provider.it"))
        .send()
        .await
        .unwrap();
    assert_eq!(origin_only.status(), StatusCode::FORBIDDEN);
    // A sibling site of the same registrable domain is not the portal either.
    let same_site = client
        .post(app.url("/api/accounts/register"))
        .header("Sec-Fetch-Site", "same-site")
        .form(&register_form("vittima@provider.it"))
        .send()
        .await
        .unwrap();
    assert_eq!(same_site.status(), StatusCode::FORBIDDEN);
    assert_eq!(users(&app).await, before, "a forged request created an account");

    // The portal's own page: same origin, accepted.
    let own = client
        .post(app.url("/api/accounts/register"))
        .header("Origin", app.base.as_str())
        .header("Sec-Fetch-Site", "same-origin")
        .header("Accept", "application/json")
        .form(&register_form("anna@provider.it"))
        .send()
        .await
        .unwrap();
    assert!(own.status().is_success(), "{}", own.status());
    assert_eq!(users(&app).await, before + 1);
    let password =
        register_form("anna@provider.it").into_iter().find(|(k, _)| *k == "password").map(|(_, v)| v).unwrap();
    assert!(app.login(&client, "anna@provider.it", &password).await.status().is_success());

    // Signed in (the cookie is ambient), a forged upload and a forged logout are refused too.
    let form = reqwest::multipart::Form::new()
        .text("type_code", "ATTO_COSTITUTIVO")
        .part("file", reqwest::multipart::Part::bytes(b"%PDF-1.4\n%%EOF".to_vec()).file_name("atto.pdf"));
    let upload = client
        .post(app.url("/documenti/carica"))
        .header("Sec-Fetch-Site", "cross-site")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), StatusCode::FORBIDDEN);
    let logout = client.post(app.url("/api/accounts/logout")).header("Origin", EVIL).send().await.unwrap();
    assert_eq!(logout.status(), StatusCode::FORBIDDEN);
    let me = app.call(&client, "accounts/me", &[]).await.text().await.unwrap();
    assert!(me.contains("anna@provider.it"), "the forged logout ended the session: {me}");

    // Reading stays open to links from anywhere (GET changes nothing).
    let page = client.get(app.url("/accedi")).header("Sec-Fetch-Site", "cross-site").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    app.stop().await;
}

both_backends!(forged_requests_are_refused, forged_requests_change_nothing);
