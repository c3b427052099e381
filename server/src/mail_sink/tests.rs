//! The sink over real sockets: a small raw SMTP client (write commands, read replies), lettre
//! (the client the portal uses), and the HTTP API with reqwest.

use std::time::{Duration, Instant};

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use super::*;

const WAIT: Duration = Duration::from_secs(10);

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn sink() -> MailSink {
    MailSink::start(SinkConfig { smtp_addr: local(), http_addr: None, dir: None }).unwrap()
}

/// A raw SMTP client: what is written is exactly what the test says.
struct Client {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Client {
    /// Connects and checks the 220 greeting.
    async fn connect(addr: SocketAddr) -> Client {
        let (reader, writer) = TcpStream::connect(addr).await.unwrap().into_split();
        let mut client = Client { reader: BufReader::new(reader), writer };
        let (code, text) = client.reply().await;
        assert_eq!(code, 220, "greeting: {text}");
        client
    }

    /// Connects and says EHLO; returns the EHLO reply text.
    async fn greeted(addr: SocketAddr) -> (Client, String) {
        let mut client = Client::connect(addr).await;
        let (code, text) = client.command("EHLO test.example").await;
        assert_eq!(code, 250, "EHLO: {text}");
        (client, text)
    }

    async fn send(&mut self, raw: &str) {
        self.writer.write_all(raw.as_bytes()).await.unwrap();
    }

    /// One reply (all its lines); panics after 10 s or at end of stream.
    async fn reply(&mut self) -> (u16, String) {
        let mut text = String::new();
        loop {
            let mut line = String::new();
            let n =
                tokio::time::timeout(WAIT, self.reader.read_line(&mut line)).await.expect("a reply in time").unwrap();
            assert!(n > 0, "connection closed; reply so far: {text:?}");
            assert!(line.ends_with("\r\n"), "reply line without CRLF: {line:?}");
            text.push_str(&line);
            let code = line[..3].parse::<u16>().unwrap_or_else(|_| panic!("bad reply line {line:?}"));
            match line.as_bytes()[3] {
                b' ' | b'\r' => return (code, text),
                b'-' => continue,
                other => panic!("bad separator {:?} in {line:?}", other as char),
            }
        }
    }

    async fn command(&mut self, command: &str) -> (u16, String) {
        self.send(&format!("{command}\r\n")).await;
        self.reply().await
    }

    /// Whether the server closed the connection without sending anything more.
    async fn closed(&mut self) -> bool {
        let mut rest = Vec::new();
        let n =
            tokio::time::timeout(WAIT, self.reader.read_to_end(&mut rest)).await.expect("closed in time").unwrap_or(0);
        n == 0
    }
}

/// A whole transaction (not pipelined); returns the reply to the final dot.
async fn deliver(addr: SocketAddr, to: &[&str], data: &str) -> (u16, String) {
    let (mut client, _) = Client::greeted(addr).await;
    assert_eq!(client.command("MAIL FROM:<portale@ecm.test>").await.0, 250);
    for rcpt in to {
        assert_eq!(client.command(&format!("RCPT TO:<{rcpt}>")).await.0, 250);
    }
    assert_eq!(client.command("DATA").await.0, 354);
    client.send(data).await;
    let reply = client.command(".").await;
    client.command("QUIT").await;
    reply
}

fn simple(subject: &str) -> String {
    format!("From: portale@ecm.test\r\nTo: mario@example.org\r\nSubject: {subject}\r\nMessage-ID: <{subject}@ecm.test>\r\n\r\nCorpo.\r\n")
}

#[tokio::test]
async fn multipart_quoted_printable_base64_and_encoded_subject_are_decoded() {
    let sink = sink();
    let html = "<p>Gentile <b>Mario</b>, l'iscrizione è confermata.</p>";
    let html_b64 = base64::engine::general_purpose::STANDARD.encode(html);
    let data = format!(
        "From: =?UTF-8?Q?Segreteria_ECM_Regione_del_Veneto?= <ecm@regione.veneto.it>\r\n\
         To: =?UTF-8?Q?Mario_Ross=C3=AC?= <mario.rossi@example.org>\r\n\
         Subject: =?UTF-8?Q?Iscrizione_confermata_=E2=80=93_perch=C3=A9_s=C3=AC?=\r\n\
         Message-ID: <conferma.42@ecm.test>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=\"confine\"\r\n\
         \r\n\
         --confine\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\
         \r\n\
         Gentile Mario, l'iscrizione =C3=A8 confermata. Una riga spezzata da un a c=\r\n\
         apo morbido.\r\n\
         --confine\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         Content-Transfer-Encoding: base64\r\n\
         \r\n\
         {html_b64}\r\n\
         --confine--\r\n"
    );
    let (code, text) = deliver(sink.smtp_addr(), &["mario.rossi@example.org", "copia@example.org"], &data).await;
    assert_eq!(code, 250, "{text}");
    let messages = sink.wait_for(|m| m.len() == 1, WAIT).await.expect("one message");
    let mail = &messages[0];
    assert_eq!(mail.id, 1);
    assert_eq!(mail.envelope_from, "portale@ecm.test");
    assert_eq!(mail.envelope_to, ["mario.rossi@example.org", "copia@example.org"]);
    assert_eq!(mail.message_id.as_deref(), Some("conferma.42@ecm.test"));
    assert_eq!(mail.subject.as_deref(), Some("Iscrizione confermata – perché sì"));
    assert_eq!(mail.from.as_deref(), Some("Segreteria ECM Regione del Veneto <ecm@regione.veneto.it>"));
    assert_eq!(mail.to.as_deref(), Some("Mario Rossì <mario.rossi@example.org>"));
    let plain = mail.text.as_deref().expect("a text part");
    assert!(plain.contains("l'iscrizione è confermata. Una riga spezzata da un a capo morbido."), "{plain:?}");
    assert_eq!(mail.html.as_deref().map(str::trim_end), Some(html));
    assert!(mail.raw.contains(&html_b64) && mail.raw.ends_with("--confine--\r\n"), "{}", mail.raw);
    time::OffsetDateTime::parse(&mail.received_at, &time::format_description::well_known::Rfc3339).expect("RFC 3339");
    assert!(mail.received_at.ends_with('Z'), "{}", mail.received_at);
}

#[tokio::test]
async fn a_text_only_message_has_no_html() {
    let sink = sink();
    assert_eq!(deliver(sink.smtp_addr(), &["a@example.org"], &simple("solo-testo")).await.0, 250);
    let mail = sink.wait_for(|m| m.len() == 1, WAIT).await.unwrap().remove(0);
    assert_eq!(mail.text.as_deref().map(str::trim_end), Some("Corpo."));
    assert_eq!(mail.html, None);
}

#[tokio::test]
async fn leading_dots_are_unstuffed() {
    let sink = sink();
    let data = "Subject: punti\r\n\r\n..riga che inizia con un punto\r\n..\r\n...\r\nfine. ..\r\n";
    assert_eq!(deliver(sink.smtp_addr(), &["a@example.org"], data).await.0, 250);
    let mail = sink.wait_for(|m| m.len() == 1, WAIT).await.unwrap().remove(0);
    assert_eq!(mail.raw, "Subject: punti\r\n\r\n.riga che inizia con un punto\r\n.\r\n..\r\nfine. ..\r\n");
}

#[tokio::test]
async fn pipelined_commands_in_one_write_get_their_replies_in_order() {
    let sink = sink();
    let (mut client, ehlo) = Client::greeted(sink.smtp_addr()).await;
    for keyword in ["250-8BITMIME\r\n", "250-SMTPUTF8\r\n", "250-PIPELINING\r\n", "250 SIZE 10485760\r\n"] {
        assert!(ehlo.contains(keyword), "{keyword:?} missing from {ehlo:?}");
    }
    client.send("MAIL FROM:<portale@ecm.test> BODY=8BITMIME\r\nRCPT TO:<uno@example.org>\r\nRCPT TO:<due@example.org>\r\nDATA\r\n").await;
    for expected in [250, 250, 250, 354] {
        let (code, text) = client.reply().await;
        assert_eq!(code, expected, "{text}");
    }
    // The end of the text, a second whole transaction and QUIT, again in one write.
    client
        .send("Subject: primo\r\n\r\nuno\r\n.\r\nRSET\r\nMAIL FROM:<>\r\nRCPT TO:<tre@example.org>\r\nDATA\r\n")
        .await;
    for expected in [250, 250, 250, 250, 354] {
        let (code, text) = client.reply().await;
        assert_eq!(code, expected, "{text}");
    }
    client.send("Subject: secondo\r\n\r\ndue\r\n.\r\nQUIT\r\n").await;
    assert_eq!(client.reply().await.0, 250);
    assert_eq!(client.reply().await.0, 221);
    assert!(client.closed().await);
    let messages = sink.wait_for(|m| m.len() == 2, WAIT).await.unwrap();
    assert_eq!(messages[0].envelope_to, ["uno@example.org", "due@example.org"]);
    assert_eq!(messages[0].subject.as_deref(), Some("primo"));
    assert_eq!(messages[1].envelope_from, "");
    assert_eq!(messages[1].envelope_to, ["tre@example.org"]);
    assert_eq!(messages[1].id, 2);
}

#[tokio::test]
async fn unknown_unimplemented_and_out_of_order_commands_are_refused() {
    let sink = sink();
    let mut client = Client::connect(sink.smtp_addr()).await;
    assert_eq!(client.command("MAIL FROM:<a@example.org>").await.0, 503, "MAIL before EHLO");
    assert_eq!(client.command("FROB").await.0, 500);
    assert_eq!(client.command("STARTTLS").await.0, 502);
    assert_eq!(client.command("VRFY mario").await.0, 502);
    assert_eq!(client.command("HELO client.example").await.0, 250);
    assert_eq!(client.command("RCPT TO:<a@example.org>").await.0, 503, "RCPT before MAIL");
    assert_eq!(client.command("DATA").await.0, 503, "DATA before MAIL");
    assert_eq!(client.command("MAIL FROM:<a@example.org> SIZE=20000000").await.0, 552);
    assert_eq!(client.command("MAIL FROM:<a@example.org>").await.0, 250);
    assert_eq!(client.command("MAIL FROM:<b@example.org>").await.0, 503, "nested MAIL");
    assert_eq!(client.command("DATA").await.0, 503, "DATA before RCPT");
    assert_eq!(client.command("RCPT TO:<>").await.0, 501);
    assert_eq!(client.command("NOOP").await.0, 250);
    assert_eq!(client.command("RSET").await.0, 250);
    assert_eq!(client.command("RCPT TO:<a@example.org>").await.0, 503, "RSET ended the transaction");
    assert_eq!(client.command(&format!("NOOP {}", "x".repeat(5000))).await.0, 500, "line too long");
    assert_eq!(client.command("QUIT").await.0, 221);
    assert!(client.closed().await);
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn temp_fail_refuses_the_next_messages_after_data_then_counts_down() {
    let sink = sink();
    sink.set_fault(Fault::TempFail { count: 2 });
    for round in 0..2 {
        let (code, text) = deliver(sink.smtp_addr(), &["a@example.org"], &simple(&format!("t{round}"))).await;
        assert_eq!(code, 451, "{text}");
        assert!(text.starts_with("451 4.3.0"), "{text}");
    }
    assert_eq!(sink.fault(), Fault::None);
    assert_eq!(deliver(sink.smtp_addr(), &["a@example.org"], &simple("t2")).await.0, 250);
    let messages = sink.wait_for(|m| !m.is_empty(), WAIT).await.unwrap();
    assert_eq!(messages.len(), 1, "refused messages are not kept");
    assert_eq!(messages[0].subject.as_deref(), Some("t2"));
}

#[tokio::test]
async fn perm_fail_refuses_every_recipient_of_the_next_message_then_counts_down() {
    let sink = sink();
    sink.set_fault(Fault::PermFail { count: 1 });
    let (mut client, _) = Client::greeted(sink.smtp_addr()).await;
    assert_eq!(client.command("MAIL FROM:<portale@ecm.test>").await.0, 250);
    let (code, text) = client.command("RCPT TO:<a@example.org>").await;
    assert!(code == 550 && text.starts_with("550 5.1.1"), "{text}");
    assert_eq!(client.command("RCPT TO:<b@example.org>").await.0, 550, "same message, same refusal");
    assert_eq!(client.command("DATA").await.0, 554, "no valid recipients");
    assert_eq!(sink.fault(), Fault::None);
    assert_eq!(client.command("RSET").await.0, 250);
    assert_eq!(client.command("MAIL FROM:<portale@ecm.test>").await.0, 250);
    assert_eq!(client.command("RCPT TO:<a@example.org>").await.0, 250);
    assert_eq!(client.command("DATA").await.0, 354);
    client.send(&simple("dopo")).await;
    assert_eq!(client.command(".").await.0, 250);
    let messages = sink.wait_for(|m| !m.is_empty(), WAIT).await.unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].subject.as_deref(), Some("dopo"));
}

#[tokio::test]
async fn slow_stores_at_once_and_answers_after_the_delay_then_counts_down() {
    let sink = sink();
    let delay = Duration::from_millis(1500);
    sink.set_fault(Fault::Slow { delay_ms: delay.as_millis() as u64, count: 1 });
    let (mut client, _) = Client::greeted(sink.smtp_addr()).await;
    assert_eq!(client.command("MAIL FROM:<portale@ecm.test>").await.0, 250);
    assert_eq!(client.command("RCPT TO:<a@example.org>").await.0, 250);
    assert_eq!(client.command("DATA").await.0, 354);
    client.send(&simple("lento")).await;
    let started = Instant::now();
    client.send(".\r\n").await;
    sink.wait_for(|m| m.len() == 1, WAIT).await.expect("stored before the reply");
    let stored_after = started.elapsed();
    let (code, _) = client.reply().await;
    let answered_after = started.elapsed();
    assert_eq!(code, 250);
    assert!(answered_after >= delay, "answered after {answered_after:?}");
    assert!(stored_after < delay, "stored after {stored_after:?}");
    assert_eq!(sink.fault(), Fault::None);
    let started = Instant::now();
    assert_eq!(deliver(sink.smtp_addr(), &["a@example.org"], &simple("svelto")).await.0, 250);
    assert!(started.elapsed() < delay, "the fault counted down, took {:?}", started.elapsed());
}

#[tokio::test]
async fn drop_after_data_stores_and_closes_without_the_final_reply() {
    let sink = sink();
    sink.set_fault(Fault::DropAfterData { count: 1 });
    let (mut client, _) = Client::greeted(sink.smtp_addr()).await;
    assert_eq!(client.command("MAIL FROM:<portale@ecm.test>").await.0, 250);
    assert_eq!(client.command("RCPT TO:<a@example.org>").await.0, 250);
    assert_eq!(client.command("DATA").await.0, 354);
    client.send(&simple("ambiguo")).await;
    client.send(".\r\n").await;
    assert!(client.closed().await, "no reply, just the end of the connection");
    let messages = sink.wait_for(|m| m.len() == 1, WAIT).await.unwrap();
    assert_eq!(messages[0].subject.as_deref(), Some("ambiguo"));
    assert_eq!(sink.fault(), Fault::None);
    assert_eq!(deliver(sink.smtp_addr(), &["a@example.org"], &simple("dopo")).await.0, 250);
}

#[tokio::test]
async fn a_silent_connection_is_closed() {
    let config = SinkConfig { smtp_addr: local(), http_addr: None, dir: None };
    let sink = MailSink::start_with_idle_timeout(config, Duration::from_millis(300)).unwrap();
    let mut client = Client::connect(sink.smtp_addr()).await;
    let started = Instant::now();
    let (code, _) = client.reply().await;
    assert_eq!(code, 421);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(client.closed().await);
}

#[tokio::test]
async fn wait_for_gives_back_the_messages_at_the_timeout() {
    let sink = sink();
    assert_eq!(deliver(sink.smtp_addr(), &["a@example.org"], &simple("uno")).await.0, 250);
    let started = Instant::now();
    let outcome = sink.wait_for(|m| m.len() == 2, Duration::from_millis(200)).await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    let messages = outcome.expect_err("only one message came");
    assert_eq!(messages.len(), 1);
    sink.clear();
    assert!(sink.messages().is_empty());
    assert_eq!(deliver(sink.smtp_addr(), &["a@example.org"], &simple("due")).await.0, 250);
    let messages = sink.wait_for(|m| m.len() == 1, WAIT).await.unwrap();
    assert_eq!(messages[0].id, 2, "ids keep counting after clear");
}

#[tokio::test]
async fn lettre_delivers_and_sees_the_faults() {
    use lettre::message::{header::ContentType, MultiPart, SinglePart};
    use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

    let sink = sink();
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(sink.smtp_addr().ip().to_string())
        .port(sink.smtp_addr().port())
        .timeout(Some(Duration::from_secs(5)))
        .build();
    let message = |id: u32, subject: &str| {
        lettre::Message::builder()
            .from("Segreteria ECM <ecm@regione.veneto.it>".parse().unwrap())
            .to("Mario Rossi <mario.rossi@example.org>".parse().unwrap())
            .subject(subject)
            .message_id(Some(format!("<avviso.{id}@ecm.test>")))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body("Crediti ECM: 25,5 — perché no?\n.riga col punto".to_string()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body("<p>Crediti <b>ECM</b>: 25,5 — perché no?</p>".to_string()),
                    ),
            )
            .unwrap()
    };
    mailer.send(message(1, "Attestato disponibile – è pronto")).await.expect("delivered");
    let mail = sink.wait_for(|m| m.len() == 1, WAIT).await.unwrap().remove(0);
    assert_eq!(mail.subject.as_deref(), Some("Attestato disponibile – è pronto"));
    assert_eq!(mail.envelope_to, ["mario.rossi@example.org"]);
    assert_eq!(mail.to.as_deref(), Some("Mario Rossi <mario.rossi@example.org>"));
    assert_eq!(mail.message_id.as_deref(), Some("avviso.1@ecm.test"));
    assert_eq!(
        mail.text.as_deref().map(|t| t.replace("\r\n", "\n")).as_deref(),
        Some("Crediti ECM: 25,5 — perché no?\n.riga col punto")
    );
    assert_eq!(mail.html.as_deref(), Some("<p>Crediti <b>ECM</b>: 25,5 — perché no?</p>"));

    sink.set_fault(Fault::TempFail { count: 1 });
    let error = mailer.send(message(2, "temporaneo")).await.expect_err("451");
    assert!(error.is_transient(), "{error}");
    sink.set_fault(Fault::PermFail { count: 1 });
    let error = mailer.send(message(3, "permanente")).await.expect_err("550");
    assert!(error.is_permanent(), "{error}");
    sink.set_fault(Fault::DropAfterData { count: 1 });
    let error = mailer.send(message(4, "ambiguo")).await.expect_err("no final reply");
    assert!(!error.is_transient() && !error.is_permanent(), "neither a 4xx nor a 5xx: {error}");
    mailer.send(message(5, "di nuovo")).await.expect("delivered");
    let messages = sink.wait_for(|m| m.len() == 3, WAIT).await.unwrap();
    let subjects: Vec<_> = messages.iter().map(|m| m.subject.as_deref().unwrap_or_default()).collect();
    assert_eq!(subjects, ["Attestato disponibile – è pronto", "ambiguo", "di nuovo"]);
}

#[tokio::test]
async fn http_api_and_pages() {
    let sink = MailSink::start(SinkConfig { smtp_addr: local(), http_addr: Some(local()), dir: None }).unwrap();
    let base = format!("http://{}", sink.http_addr().unwrap());
    let http = reqwest::Client::new();
    let data = "From: portale@ecm.test\r\nTo: <mario@example.org>\r\nSubject: <script>alert(1)</script> & co\r\n\
                Message-ID: <x1@ecm.test>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p onclick=\"x()\">Ciao</p>\r\n";
    assert_eq!(deliver(sink.smtp_addr(), &["mario@example.org"], data).await.0, 250);
    sink.wait_for(|m| m.len() == 1, WAIT).await.unwrap();

    assert_eq!(http.get(format!("{base}/healthz")).send().await.unwrap().text().await.unwrap(), "ok");

    let response = http.get(format!("{base}/api/messages")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let json: serde_json::Value = response.json().await.unwrap();
    let first = &json.as_array().expect("an array")[0];
    assert_eq!(first["id"], 1);
    assert_eq!(first["envelope_from"], "portale@ecm.test");
    assert_eq!(first["envelope_to"], serde_json::json!(["mario@example.org"]));
    assert_eq!(first["message_id"], "x1@ecm.test");
    assert_eq!(first["subject"], "<script>alert(1)</script> & co");
    assert_eq!(first["to"], "mario@example.org");
    assert_eq!(first["text"], serde_json::Value::Null);
    assert_eq!(first["html"].as_str().map(str::trim_end), Some("<p onclick=\"x()\">Ciao</p>"));
    assert!(first["raw"].as_str().unwrap().starts_with("From: portale@ecm.test\r\n"));
    assert!(first["received_at"].is_string());

    let inbox = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(inbox.status(), 200);
    assert!(inbox.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    let inbox = inbox.text().await.unwrap();
    assert!(inbox.contains("Posta inviata dal portale (sink di sviluppo)"), "{inbox}");
    assert!(inbox.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"), "{inbox}");
    assert!(!inbox.contains("<script"), "{inbox}");
    assert!(inbox.contains("href=\"/messaggi/1\""), "{inbox}");

    let page = http.get(format!("{base}/messaggi/1")).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("<script") && !page.contains("<p onclick"), "{page}");
    assert!(page.contains("<iframe sandbox=\"\""), "{page}");
    assert!(page.contains("srcdoc=\"&lt;p onclick=&quot;x()&quot;&gt;Ciao&lt;/p&gt;"), "{page}");
    assert!(page.contains("Message-ID: &lt;x1@ecm.test&gt;"), "raw source shown: {page}");
    assert_eq!(http.get(format!("{base}/messaggi/99")).send().await.unwrap().status(), 404);
    assert_eq!(http.get(format!("{base}/messaggi/abc")).send().await.unwrap().status(), 404);

    let set = http
        .post(format!("{base}/api/fault"))
        .json(&serde_json::json!({"kind": "temp_fail", "count": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    assert_eq!(sink.fault(), Fault::TempFail { count: 2 });
    let slow = serde_json::json!({"kind": "slow", "delay_ms": 250});
    http.post(format!("{base}/api/fault")).json(&slow).send().await.unwrap();
    assert_eq!(sink.fault(), Fault::Slow { delay_ms: 250, count: 1 }, "count defaults to 1");
    let shown: serde_json::Value = http.get(format!("{base}/api/fault")).send().await.unwrap().json().await.unwrap();
    assert_eq!(shown, serde_json::json!({"kind": "slow", "delay_ms": 250, "count": 1}));
    http.post(format!("{base}/api/fault")).json(&serde_json::json!({"kind": "none"})).send().await.unwrap();
    assert_eq!(sink.fault(), Fault::None);
    let bad =
        http.post(format!("{base}/api/fault")).json(&serde_json::json!({"kind": "explode"})).send().await.unwrap();
    assert!(bad.status().is_client_error());

    assert_eq!(http.delete(format!("{base}/api/messages")).send().await.unwrap().status(), 204);
    assert!(sink.messages().is_empty());
    let empty = http.get(format!("{base}/")).send().await.unwrap().text().await.unwrap();
    assert!(empty.contains("Nessun messaggio ricevuto."), "{empty}");
}

#[tokio::test]
async fn dir_keeps_every_message_as_an_eml_file() {
    let dir = std::env::temp_dir().join(format!("ecm-mail-sink-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let sink = MailSink::start(SinkConfig { smtp_addr: local(), http_addr: None, dir: Some(dir.clone()) }).unwrap();
    assert_eq!(deliver(sink.smtp_addr(), &["a@example.org"], &simple("file")).await.0, 250);
    sink.wait_for(|m| m.len() == 1, WAIT).await.unwrap();
    let written = std::fs::read_to_string(dir.join("1.eml")).unwrap();
    assert_eq!(written, sink.messages()[0].raw);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn config_from_flags_then_environment_then_defaults() {
    let env =
        |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>();
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let defaults = SinkConfig::from_args_and_env(&[], &env(&[])).unwrap();
    assert_eq!(defaults.smtp_addr, "127.0.0.1:2525".parse().unwrap());
    assert_eq!(defaults.http_addr, Some("127.0.0.1:8025".parse().unwrap()));
    assert_eq!(defaults.dir, None);
    let config = SinkConfig::from_args_and_env(
        &args(&["--smtp", "127.0.0.1:2600"]),
        &env(&[
            ("MAIL_SINK_SMTP_ADDR", "127.0.0.1:9"),
            ("MAIL_SINK_HTTP_ADDR", "0.0.0.0:8100"),
            ("MAIL_SINK_DIR", "/tmp/posta"),
        ]),
    )
    .unwrap();
    assert_eq!(config.smtp_addr, "127.0.0.1:2600".parse().unwrap());
    assert_eq!(config.http_addr, Some("0.0.0.0:8100".parse().unwrap()));
    assert_eq!(config.dir, Some(PathBuf::from("/tmp/posta")));
    assert!(SinkConfig::from_args_and_env(&args(&["--help"]), &env(&[])).unwrap_err().contains("MAIL_SINK_SMTP_ADDR"));
    assert!(SinkConfig::from_args_and_env(&args(&["--smtp"]), &env(&[])).is_err());
    assert!(SinkConfig::from_args_and_env(&args(&["--smtp", "nowhere"]), &env(&[])).is_err());
    assert!(SinkConfig::from_args_and_env(&args(&["--bogus", "1"]), &env(&[])).is_err());
}
