//! The real portal over HTTP: accounts, roles, status codes, health check.

use crate::support;

use reqwest::StatusCode;
use serde_json::Value;
use support::{Backend, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD};

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("ecm_session="))
        .map(str::to_string)
}

async fn error_code(response: reqwest::Response) -> String {
    let body: Value = response.json().await.expect("errors are JSON");
    body["code"].as_str().unwrap_or_default().to_string()
}

async fn register_sets_a_safe_session_cookie(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let client = app.client();
    let response = app.register(&client, "anna@provider.it", "Provider2026").await;
    assert!(response.status().is_success() || response.status().is_redirection(), "{}", response.status());
    let cookie = session_cookie(&response).expect("the login after registering sets the session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http in tests: {cookie}");

    let me: Value = app.call(&client, "accounts/me", &[]).await.json().await.unwrap();
    assert_eq!(me["email"], "anna@provider.it");
    assert_eq!(me["role"], "Provider");
    app.stop().await;
}
both_backends!(logging_in_after_registering_sets_an_httponly_cookie, register_sets_a_safe_session_cookie);

async fn duplicate_registration(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let register = |email: &'static str, password: &'static str| {
        let app = &app;
        async move {
            app.call(
                &app.client(),
                "accounts/register",
                &[
                    ("email", email),
                    ("display_name", "Anna Bianchi"),
                    ("password", password),
                    ("password_confirm", password),
                ],
            )
            .await
        }
    };
    let first = register("dup@provider.it", "Provider2026").await;
    let again = register("Dup@Provider.it", "Provider2027").await;
    // The same answer, new address or not: no error, the same redirect, no session.
    assert_eq!((first.status(), again.status()), (StatusCode::OK, StatusCode::OK));
    assert_eq!(first.headers().get("serverfnredirect"), again.headers().get("serverfnredirect"));
    assert!(session_cookie(&first).is_none() && session_cookie(&again).is_none(), "registering does not log in");
    assert_eq!(first.text().await.unwrap(), again.text().await.unwrap());
    // The owner of the address is told instead (once an hour), and the account is unchanged.
    register("dup@provider.it", "Provider2028").await;
    let kinds: Vec<String> = sqlx::query_scalar("SELECT kind FROM mail_outbox ORDER BY created_at, id")
        .fetch_all(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(kinds, vec!["VERIFY_EMAIL", "ACCOUNT_EXISTS"]);
    assert_eq!(app.login(&app.client(), "dup@provider.it", "Provider2027").await.status(), StatusCode::UNAUTHORIZED);
    assert!(app.login(&app.client(), "dup@provider.it", "Provider2026").await.status().is_success());
    app.stop().await;
}
both_backends!(registering_a_taken_address_answers_like_a_new_one_and_mails_the_owner, duplicate_registration);

async fn invalid_registration(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let response = app.register(&app.client(), "non-una-mail", "Provider2026").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "invalid");
    assert_eq!(body["detail"]["field"], "email");
    app.stop().await;
}
both_backends!(an_invalid_email_gets_422_naming_the_field, invalid_registration);

async fn login_rotates_session(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let client = app.client();
    let first = session_cookie(&app.register(&client, "r@provider.it", "Provider2026").await).unwrap();
    let second = session_cookie(&app.login(&client, "r@provider.it", "Provider2026").await).unwrap();
    assert_ne!(first.split(';').next(), second.split(';').next(), "login issues a new session id");

    // The session from before the login no longer works.
    let old_value = first.split(';').next().unwrap().to_string();
    let stale = reqwest::Client::new()
        .post(app.url("/api/accounts/me"))
        .header("Accept", "application/json")
        .header("Cookie", old_value)
        .send()
        .await
        .unwrap();
    let stale: Value = stale.json().await.unwrap();
    assert_eq!(stale, Value::Null);
    app.stop().await;
}
both_backends!(login_replaces_the_previous_session, login_rotates_session);

async fn wrong_password(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let client = app.client();
    app.register(&app.client(), "w@provider.it", "Provider2026").await;
    let response = app.login(&client, "w@provider.it", "Sbagliata2026").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(session_cookie(&response).is_none());
    assert_eq!(error_code(response).await, "invalid_credentials");
    app.stop().await;
}
both_backends!(a_wrong_password_gets_401_and_no_session, wrong_password);

async fn login_rate_limited(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, &[("ECM_LOGIN_MAX_FAILURES_PER_ACCOUNT", "3")]).await else { return };
    let client = app.client();
    app.register(&app.client(), "l@provider.it", "Provider2026").await;
    for _ in 0..3 {
        assert_eq!(app.login(&client, "l@provider.it", "Sbagliata2026").await.status(), StatusCode::UNAUTHORIZED);
    }
    let response = app.login(&client, "l@provider.it", "Provider2026").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_code(response).await, "too_many_attempts");
    app.stop().await;
}
both_backends!(repeated_failures_get_429, login_rate_limited);

async fn roles_enforced(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };

    let anonymous = app.call(&app.client(), "segreteria/overview", &[]).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(anonymous).await, "unauthenticated");

    let provider = app.client();
    app.register(&provider, "p@provider.it", "Provider2026").await;
    let refused = app.call(&provider, "segreteria/overview", &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(refused).await, "forbidden");

    let segreteria = app.client();
    assert!(session_cookie(&app.login(&segreteria, ADMIN_EMAIL, ADMIN_PASSWORD).await).is_some());
    let allowed = app.call(&segreteria, "segreteria/overview", &[]).await;
    assert_eq!(allowed.status(), StatusCode::OK);
    let body: Value = allowed.json().await.unwrap();
    assert_eq!(body["provider_accounts"], 1);
    assert_eq!(body["segreteria_accounts"], 1);
    app.stop().await;
}
both_backends!(a_provider_calling_a_segreteria_function_gets_403, roles_enforced);

async fn logout_ends_session(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let client = app.client();
    app.register(&client, "o@provider.it", "Provider2026").await;
    let response = app.call(&client, "accounts/logout", &[]).await;
    let cleared = session_cookie(&response).expect("logout clears the cookie");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let me: Value = app.call(&client, "accounts/me", &[]).await.json().await.unwrap();
    assert_eq!(me, Value::Null);
    app.stop().await;
}
both_backends!(logout_ends_the_session, logout_ends_session);

async fn page_statuses(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let anonymous = app.client();
    let home = anonymous.get(app.url("/")).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    let html = home.text().await.unwrap();
    assert!(html.contains("Regione del Veneto — Portale ECM"));
    assert!(html.contains("lang=\"it\""));

    assert_eq!(anonymous.get(app.url("/pagina-che-non-esiste")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(anonymous.get(app.url("/area")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);

    let provider = app.client();
    app.register(&provider, "pg@provider.it", "Provider2026").await;
    let area = provider.get(app.url("/area")).send().await.unwrap();
    assert_eq!(area.status(), StatusCode::OK);
    assert!(area.text().await.unwrap().contains("Anna Bianchi"));
    let console = provider.get(app.url("/segreteria")).send().await.unwrap();
    assert_eq!(console.status(), StatusCode::FORBIDDEN);
    assert!(console.text().await.unwrap().contains("Accesso negato"));
    app.stop().await;
}
both_backends!(pages_answer_with_the_right_status, page_statuses);

async fn health(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let client = app.client();
    for path in ["/healthz", "/readyz"] {
        let ok = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(ok.status(), StatusCode::OK, "{path}");
        assert_eq!(ok.headers().get("x-content-type-options").unwrap(), "nosniff");
    }
    app.state.db.close().await;
    // Without its database the portal is alive but not ready.
    let alive = client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(alive.status(), StatusCode::OK);
    let down = client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE);
    app.stop().await;
}
both_backends!(healthz_is_liveness_and_readyz_reports_the_database, health);

async fn plain_form_post(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    // A browser without JavaScript posts the form and accepts HTML: it must be sent back to
    // the form (302) with the error in the URL, not shown a bare 401 body.
    let client = app.client();
    let location = app
        .post_plain_form(
            &client,
            "accounts/login",
            "/accedi",
            &[("email", "nessuno@provider.it"), ("password", "Sbagliata2026")],
        )
        .await;
    assert!(location.starts_with(&app.url("/accedi?")), "{location}");
    let page = app.client().get(&location).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("E-mail o password non corretti."), "the login page shows the error");
    app.stop().await;
}
both_backends!(a_form_posted_without_javascript_comes_back_with_its_error, plain_form_post);

async fn security_headers(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let page = app.client().get(app.url("/accedi")).send().await.unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a page CSP carries a nonce")
        .to_string();
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "the hydration scripts carry the same nonce");
    let other = app.client().get(app.url("/accedi")).send().await.unwrap();
    assert!(!other.headers()["content-security-policy"].to_str().unwrap().contains(&nonce), "a new nonce per page");
    let health = app.client().get(app.url("/healthz")).send().await.unwrap();
    assert!(health.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(health.headers()["x-frame-options"], "DENY");
    assert_eq!(health.headers()["referrer-policy"], "same-origin");
    app.stop().await;
}
both_backends!(pages_carry_a_strict_csp_with_a_fresh_nonce, security_headers);

/// A login whose body never arrives whole: the portal answers 408 once the body timeout is
/// over (here 1 s) instead of keeping the connection open, and records nothing.
async fn slow_body(backend: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Some(app) = TestApp::spawn_with(backend, &[("ECM_HTTP_BODY_TIMEOUT_SECONDS", "1")]).await else { return };
    let addr = app.base.trim_start_matches("http://").to_string();
    let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let head = format!(
        "POST /api/accounts/login HTTP/1.1\r\nHost: {addr}\r\nOrigin: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\n",
        app.base
    );
    write.write_all(head.as_bytes()).await.unwrap();
    write.write_all(b"email=anna%40provider.it&").await.unwrap();
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    let read_all = async {
        while let Ok(n @ 1..) = read.read(&mut chunk).await {
            answer.extend_from_slice(&chunk[..n]);
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(20), read_all).await.expect("the portal gives up on the body");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() < std::time::Duration::from_secs(15), "{:?}", started.elapsed());
    drop(write);
    app.stop().await;
}
both_backends!(a_body_that_never_arrives_gets_408, slow_body);

/// HSTS only when the portal is published over https.
async fn hsts(backend: Backend) {
    let Some(plain) = TestApp::spawn(backend).await else { return };
    let answer = plain.client().get(plain.url("/accedi")).send().await.unwrap();
    assert!(answer.headers().get("strict-transport-security").is_none());
    plain.stop().await;
    let Some(app) = TestApp::spawn_with(backend, &[("ECM_PUBLIC_URL", "https://ecm.regione.veneto.it")]).await else {
        return;
    };
    for path in ["/accedi", "/healthz", "/pkg/missing.js"] {
        let answer = app.client().get(app.url(path)).send().await.unwrap();
        assert_eq!(answer.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains", "{path}");
    }
    app.stop().await;
}
both_backends!(https_portals_send_hsts, hsts);

/// A forged `__err` in a link cannot put the attacker's text in the portal's own error box:
/// only the error's code is believed, and the page shows its fixed message.
async fn forged_form_error(backend: Backend) {
    use app::domain::{FieldError, FieldRule};
    use app::error::AppError;
    use base64::Engine;
    use leptos::server_fn::error::FromServerFnError;
    let Some(app) = TestApp::spawn(backend).await else { return };
    const IBAN: &str = "IT60X0542811101000000123456";
    let forged = [
        AppError::PaymentGateClosed(vec![format!("AVVISO: versa la quota sul nuovo IBAN {IBAN}")]),
        AppError::InvalidForm(vec![FieldError::new(
            &format!("AVVISO: versa la quota sul nuovo IBAN {IBAN}"),
            FieldRule::Required,
        )]),
        AppError::BadRequest(format!("AVVISO: IBAN {IBAN}")),
    ];
    for (error, expected) in forged.into_iter().zip(["mancano alcuni passi", "«dato»", "La richiesta non è valida"])
    {
        let encoded = base64::engine::general_purpose::URL_SAFE.encode(error.ser());
        let url = app.url(&format!("/accedi?__path=%2Fapi%2Faccounts%2Flogin&__err={}", encoded.replace('=', "%3D")));
        let page = app.client().get(&url).send().await.unwrap().text().await.unwrap();
        assert!(!page.contains(IBAN), "the forged text reached the page: {url}");
        assert!(!page.contains("AVVISO"), "the forged text reached the page: {url}");
        assert!(page.contains(expected), "the code's own message is shown ({expected}): {url}");
    }
    app.stop().await;
}
both_backends!(a_forged_error_in_a_link_shows_only_the_fixed_message, forged_form_error);

/// A client behind a proxy, as `X-Forwarded-For` names it.
fn forwarded_for(address: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", address.parse().unwrap());
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

/// Behind the reverse proxy (ECM_TRUSTED_PROXIES), wrong logins from one user do not lock out
/// the others: the limit per address counts the address the proxy saw, not the proxy's.
async fn behind_a_proxy(backend: Backend) {
    let settings = [("ECM_TRUSTED_PROXIES", "127.0.0.1/32, ::1"), ("ECM_LOGIN_MAX_FAILURES_PER_ADDRESS", "3")];
    let Some(app) = TestApp::spawn_with(backend, &settings).await else { return };
    app.register(&app.client(), "ok@provider.it", "Provider2026").await;
    let attacker = forwarded_for("203.0.113.7");
    for i in 0..3 {
        let wrong = app.login(&attacker, &format!("nobody{i}@provider.it"), "Sbagliata2026").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    }
    let blocked = app.login(&attacker, "ok@provider.it", "Provider2026").await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS, "the guessing address is throttled");
    // Another user behind the same proxy logs in.
    let colleague = app.login(&forwarded_for("198.51.100.20"), "ok@provider.it", "Provider2026").await;
    assert_eq!(colleague.status(), StatusCode::OK);
    // A hop the client wrote itself, left of the proxy's, changes nothing.
    let spoofed = app.login(&forwarded_for("198.51.100.20, 203.0.113.7"), "ok@provider.it", "Provider2026").await;
    assert_eq!(spoofed.status(), StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;

    // Without trusted proxies the header is ignored: rotating it does not escape the limit.
    let Some(app) = TestApp::spawn_with(backend, &[("ECM_LOGIN_MAX_FAILURES_PER_ADDRESS", "3")]).await else { return };
    app.register(&app.client(), "ok@provider.it", "Provider2026").await;
    for i in 0..3 {
        let wrong = app
            .login(&forwarded_for(&format!("203.0.113.{i}")), &format!("nobody{i}@provider.it"), "Sbagliata2026")
            .await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    }
    let rotated = app.login(&forwarded_for("198.51.100.99"), "ok@provider.it", "Provider2026").await;
    assert_eq!(rotated.status(), StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}
both_backends!(behind_a_trusted_proxy_the_forwarded_client_is_throttled_not_the_proxy, behind_a_proxy);

/// Wrong passwords from one address never lock the owner out elsewhere, and parallel guesses
/// count each other: of 15 at once against a limit of 5, at most 5 are evaluated.
async fn login_throttling(backend: Backend) {
    let settings = [("ECM_TRUSTED_PROXIES", "127.0.0.1/32, ::1"), ("ECM_LOGIN_MAX_FAILURES_PER_ADDRESS", "100")];
    let Some(app) = TestApp::spawn_with(backend, &settings).await else { return };
    app.register(&app.client(), "owner@provider.it", "Provider2026").await;
    let attacker = forwarded_for("203.0.113.7");
    let guesses = (0..15).map(|i| {
        let (app, attacker) = (&app, &attacker);
        async move { app.login(attacker, "owner@provider.it", &format!("Sbagliata{i:04}")).await.status() }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let evaluated = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(evaluated + refused, 15, "{statuses:?}");
    assert!(evaluated <= 5, "{evaluated} of 15 parallel guesses were checked: {statuses:?}");
    // The attacker's address stays refused, even with the right password...
    assert_eq!(app.login(&attacker, "owner@provider.it", "Provider2026").await.status(), StatusCode::TOO_MANY_REQUESTS);
    // ...while the owner, from elsewhere, gets in (slowed down, not refused).
    let owner = app.login(&forwarded_for("198.51.100.20"), "owner@provider.it", "Provider2026").await;
    assert_eq!(owner.status(), StatusCode::OK);
    app.stop().await;
}
both_backends!(wrong_passwords_from_one_address_neither_lock_the_owner_out_nor_race_past_the_limit, login_throttling);

/// Registrations are limited per address (and overall) per hour; another address still registers.
async fn registration_limit(backend: Backend) {
    let settings = [("ECM_TRUSTED_PROXIES", "127.0.0.1/32, ::1"), ("ECM_REGISTRATIONS_PER_ADDRESS", "2")];
    let Some(app) = TestApp::spawn_with(backend, &settings).await else { return };
    for i in 0..2 {
        let answer = app.register(&forwarded_for("203.0.113.7"), &format!("r{i}@provider.it"), "Provider2026").await;
        assert!(answer.status().is_success(), "{}", answer.status());
    }
    let refused = app.register(&forwarded_for("203.0.113.7"), "r2@provider.it", "Provider2026").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_code(refused).await, "too_many_registrations");
    // Nothing was created for the refused one: it can register from elsewhere.
    let elsewhere = app.register(&forwarded_for("198.51.100.20"), "r2@provider.it", "Provider2026").await;
    assert!(elsewhere.status().is_success(), "{}", elsewhere.status());
    app.stop().await;
}
both_backends!(registrations_are_limited_per_address, registration_limit);

/// A page number typed in a URL can be anything: the consoles clamp it instead of wrapping
/// (SQLite) or failing (PostgreSQL).
async fn huge_page_numbers(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let segreteria = app.client();
    assert_eq!(app.login(&segreteria, ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), StatusCode::OK);
    let huge = i64::MAX.to_string();
    for (endpoint, form) in [
        ("segreteria/requests", vec![("state", ""), ("search", ""), ("page", huge.as_str())]),
        ("segreteria/payments", vec![("queue", ""), ("search", ""), ("page", huge.as_str())]),
    ] {
        let answer = app.call(&segreteria, endpoint, &form).await;
        let status = answer.status();
        let body: Value = answer.json().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{endpoint}: {body}");
        assert_eq!(body["page"], 1_000_000, "{endpoint}: {body}");
        assert_eq!(body["rows"].as_array().map(Vec::len), Some(0), "{endpoint}: {body}");
    }
    for path in ["/segreteria?pagina=9223372036854775807", "/segreteria/dovuti?pagina=9223372036854775807"] {
        let page = segreteria.get(app.url(path)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{path}");
    }
    app.stop().await;
}
both_backends!(huge_page_numbers_are_clamped, huge_page_numbers);

/// Behind https the session cookie is `__Host-ecm_session` (Secure, Path=/, no Domain), and an
/// unprefixed cookie with the same value — one a sibling subdomain or an http page could have
/// planted — is not a session.
async fn host_prefixed_cookie(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, &[("ECM_PUBLIC_URL", "https://ecm.regione.veneto.it")]).await else {
        return;
    };
    let registered = app.register(&app.client(), "host@provider.it", "Provider2026").await;
    let set_cookie = registered
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("ecm_session="))
        .expect("registration sets the session cookie")
        .to_string();
    assert!(set_cookie.starts_with("__Host-ecm_session="), "{set_cookie}");
    assert!(
        set_cookie.contains("; Secure") && set_cookie.contains("Path=/") && !set_cookie.contains("Domain"),
        "{set_cookie}"
    );
    let token = set_cookie.trim_start_matches("__Host-ecm_session=").split(';').next().unwrap().to_string();
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let area = |cookie: String| plain.get(app.url("/area")).header("cookie", cookie).send();
    let planted = area(format!("ecm_session={token}")).await.unwrap();
    assert_eq!(planted.status(), StatusCode::UNAUTHORIZED, "an unprefixed cookie is not a session behind https");
    let real = area(format!("__Host-ecm_session={token}")).await.unwrap();
    assert_eq!(real.status(), StatusCode::OK);
    app.stop().await;
}
both_backends!(behind_https_the_session_cookie_is_host_prefixed, host_prefixed_cookie);
