//! The texts of the notifications, in Italian, as plain text and HTML (docs/mail.md).
//!
//! Pure functions: a notification is composed when it is enqueued, so the outbox holds what goes
//! out and the mail log shows its subject. Services compose with [`LINK_BASE`] as the base of
//! every link; the worker puts the portal's public URL (`ECM_PUBLIC_URL`) in its place when it
//! sends ([`with_links`]), so a service needs no setting to write a mail, and a mail written
//! before the public URL changed still links to the right place.

use crate::payments::model::format_euro;

/// The base of every link in a composed message, until the worker sends it.
pub const LINK_BASE: &str = "{{ECM_PUBLIC_URL}}";

/// `text` and `html` with [`LINK_BASE`] replaced by the portal's public URL (escaped in HTML).
pub fn with_links(text: &str, html: &str, public_url: &str) -> (String, String) {
    (text.replace(LINK_BASE, public_url), html.replace(LINK_BASE, &escape(public_url)))
}

/// A composed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// One paragraph or a call to action of a message.
enum Part<'a> {
    Text(String),
    Quote(&'a str),
    Link { label: &'a str, url: String },
}

const SIGNATURE: &str = "Segreteria ECM — Regione del Veneto";
const FOOTER: &str = "Questo messaggio è inviato automaticamente dal Portale ECM della Regione del Veneto: non rispondere a questo indirizzo.";

/// `text` safe inside HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn build(subject: String, greeting: &str, parts: &[Part<'_>]) -> Composed {
    let mut text = format!("{greeting}\n\n");
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"it\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family: 'Titillium Web', Arial, sans-serif; color: #1a1a1a; max-width: 640px; margin: 0 auto; padding: 16px;\">\
         <p style=\"color: #0066cc; font-weight: bold; margin: 0 0 16px;\">Regione del Veneto — Portale ECM</p><p>{}</p>",
        escape(&subject),
        escape(greeting)
    );
    for part in parts {
        match part {
            Part::Text(paragraph) => {
                text.push_str(paragraph);
                text.push_str("\n\n");
                html.push_str(&format!("<p>{}</p>", escape(paragraph)));
            }
            Part::Quote(quoted) => {
                for line in quoted.lines() {
                    text.push_str(&format!("> {line}\n"));
                }
                text.push('\n');
                html.push_str(&format!(
                    "<blockquote style=\"border-left: 4px solid #0066cc; margin: 0 0 16px; padding: 4px 12px; white-space: pre-wrap;\">{}</blockquote>",
                    escape(quoted)
                ));
            }
            Part::Link { label, url } => {
                text.push_str(&format!("{label}: {url}\n\n"));
                html.push_str(&format!(
                    "<p><a href=\"{}\" style=\"display: inline-block; background: #0066cc; color: #ffffff; padding: 10px 16px; text-decoration: none; border-radius: 4px;\">{}</a></p>\
                     <p style=\"font-size: 13px; color: #555;\">Se il pulsante non funziona, copia questo indirizzo nel browser: {}</p>",
                    escape(url),
                    escape(label),
                    escape(url)
                ));
            }
        }
    }
    text.push_str(&format!("{SIGNATURE}\n\n--\n{FOOTER}\n"));
    html.push_str(&format!(
        "<p>{}</p><hr><p style=\"font-size: 12px; color: #555;\">{}</p></body></html>",
        escape(SIGNATURE),
        escape(FOOTER)
    ));
    Composed { subject, text, html }
}

fn greeting(name: &str) -> String {
    format!("Gentile {},", name.trim())
}

/// Confirms the account's e-mail address.
pub fn verify_email(public_url: &str, name: &str, token: &str) -> Composed {
    build(
        "Conferma il tuo indirizzo e-mail — Portale ECM".into(),
        &greeting(name),
        &[
            Part::Text("hai creato un account sul Portale ECM della Regione del Veneto. Per confermare che questo indirizzo è tuo ed entrare nella tua area, apri il link qui sotto e premi «Conferma indirizzo».".into()),
            Part::Link { label: "Conferma l'indirizzo e-mail", url: format!("{public_url}/verifica-email?token={token}") },
            Part::Text("Il link vale 7 giorni e si può usare una sola volta. Se non hai creato tu l'account, ignora questo messaggio.".into()),
        ],
    )
}

/// The password-reset link.
pub fn password_reset(public_url: &str, name: &str, token: &str) -> Composed {
    build(
        "Reimposta la password — Portale ECM".into(),
        &greeting(name),
        &[
            Part::Text("abbiamo ricevuto una richiesta di reimpostare la password del tuo account sul Portale ECM.".into()),
            Part::Link { label: "Scegli una nuova password", url: format!("{public_url}/reimposta-password?token={token}") },
            Part::Text("Il link vale un'ora e si può usare una sola volta. Quando scegli la nuova password, tutte le sessioni aperte con il tuo account vengono chiuse.".into()),
            Part::Text("Se non hai chiesto tu di reimpostare la password, ignora questo messaggio: la password attuale resta valida.".into()),
        ],
    )
}

/// Someone registered again with the address of this account.
pub fn account_exists(public_url: &str, name: &str) -> Composed {
    build(
        "Hai già un account sul Portale ECM".into(),
        &greeting(name),
        &[
            Part::Text("qualcuno ha chiesto di registrare un nuovo account sul Portale ECM con questo indirizzo e-mail, che ha già un account: non è stato creato nulla.".into()),
            Part::Link { label: "Accedi al portale", url: format!("{public_url}/accedi") },
            Part::Text("Se non ricordi la password, puoi sceglierne una nuova:".into()),
            Part::Link { label: "Reimposta la password", url: format!("{public_url}/password-dimenticata") },
            Part::Text("Se non sei stato tu, ignora questo messaggio: il tuo account non è cambiato.".into()),
        ],
    )
}

/// The Segreteria asked for an integration of the request.
pub fn integration_requested(public_url: &str, name: &str, provider: &str, note: &str, sections: &[&str]) -> Composed {
    let mut parts = vec![Part::Text(format!(
        "la Segreteria ECM ha esaminato la domanda di accreditamento di «{provider}» e chiede un'integrazione."
    ))];
    if !note.trim().is_empty() {
        parts.push(Part::Text("La nota della Segreteria:".into()));
        parts.push(Part::Quote(note));
    }
    if !sections.is_empty() {
        parts.push(Part::Text(format!("Sezioni riaperte da completare: {}.", sections.join(", "))));
    }
    parts.push(Part::Link { label: "Apri la domanda", url: format!("{public_url}/area/domanda") });
    build(format!("Integrazione richiesta per la domanda di {provider} — Portale ECM"), &greeting(name), &parts)
}

/// The provider is accredited.
pub fn accredited(public_url: &str, name: &str, provider: &str, note: Option<&str>) -> Composed {
    let mut parts = vec![Part::Text(format!(
        "la domanda di accreditamento di «{provider}» è stata accolta: il provider è accreditato presso la Regione del Veneto."
    ))];
    if let Some(note) = note.filter(|n| !n.trim().is_empty()) {
        parts.push(Part::Quote(note));
    }
    parts.push(Part::Text(
        "Da ora puoi inserire gli eventi formativi nel piano e pagare i contributi dal portale.".into(),
    ));
    parts.push(Part::Link { label: "Vai alla tua area", url: format!("{public_url}/area") });
    build(format!("{provider} è accreditato — Portale ECM"), &greeting(name), &parts)
}

/// The request was rejected.
pub fn rejected(public_url: &str, name: &str, provider: &str, reasons: &str) -> Composed {
    let mut parts = vec![Part::Text(format!("la domanda di accreditamento di «{provider}» è stata rigettata."))];
    if !reasons.trim().is_empty() {
        parts.push(Part::Text("Le motivazioni della Segreteria:".into()));
        parts.push(Part::Quote(reasons));
    }
    parts.push(Part::Link { label: "Apri la domanda", url: format!("{public_url}/area/domanda") });
    build(format!("Domanda di {provider} rigettata — Portale ECM"), &greeting(name), &parts)
}

/// One paid line of a verified payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidLine {
    pub causale: String,
    pub amount_cents: i64,
}

/// MyPay confirmed a payment.
pub fn payment_verified(public_url: &str, name: &str, provider: &str, iuv: &str, lines: &[PaidLine]) -> Composed {
    let total: i64 = lines.iter().map(|l| l.amount_cents).sum();
    let mut parts = vec![Part::Text(format!(
        "il pagamento di {} per «{provider}» è stato verificato con MyPay (IUV {iuv}).",
        format_euro(total)
    ))];
    for line in lines {
        parts.push(Part::Text(format!("• {} — {}", line.causale, format_euro(line.amount_cents))));
    }
    parts.push(Part::Text("La ricevuta si scarica dall'estratto conto, accanto a ogni contributo pagato.".into()));
    parts.push(Part::Link { label: "Apri l'estratto conto", url: format!("{public_url}/area/estratto-conto") });
    build(format!("Pagamento verificato: {} — Portale ECM", format_euro(total)), &greeting(name), &parts)
}

/// The Segreteria accepted a quietanza (a treasury payment): the debt is paid.
pub fn quietanza_accepted(
    public_url: &str,
    name: &str,
    provider: &str,
    causale: &str,
    amount_cents: i64,
    cro_trn: &str,
) -> Composed {
    build(
        format!("Quietanza accettata: {causale} — Portale ECM"),
        &greeting(name),
        &[
            Part::Text(format!(
                "la Segreteria ECM ha verificato la quietanza del bonifico di tesoreria (CRO/TRN {cro_trn}) per il contributo «{causale}» di «{provider}», di {}: il contributo risulta pagato.",
                format_euro(amount_cents)
            )),
            Part::Text("La ricevuta si scarica dall'estratto conto.".into()),
            Part::Link { label: "Apri l'estratto conto", url: format!("{public_url}/area/estratto-conto") },
        ],
    )
}

/// The Segreteria refused a quietanza: why, and that the debt is to pay again.
pub fn quietanza_refused(public_url: &str, name: &str, provider: &str, causale: &str, reason: &str) -> Composed {
    build(
        format!("Quietanza non accettata: {causale} — Portale ECM"),
        &greeting(name),
        &[
            Part::Text(format!("la Segreteria ECM non ha accettato la quietanza caricata per il contributo «{causale}» di «{provider}». Il motivo:")),
            Part::Quote(reason),
            Part::Text("Il contributo risulta di nuovo da pagare: puoi caricare una quietanza corretta o pagarlo online con pagoPA.".into()),
            Part::Link { label: "Vai alla quietanza", url: format!("{public_url}/area/quietanza") },
        ],
    )
}

/// A debt falls due soon, or is overdue.
pub fn reminder(
    public_url: &str,
    name: &str,
    provider: &str,
    causale: &str,
    amount_cents: i64,
    due_date: &str,
    overdue: bool,
) -> Composed {
    let due = crate::debts::model::date_it(due_date);
    let (subject, opening) = if overdue {
        (
            format!("Scadenza superata: {causale} — Portale ECM"),
            format!(
                "il contributo «{causale}» di «{provider}», di {}, scadeva il {due} e risulta ancora da pagare.",
                format_euro(amount_cents)
            ),
        )
    } else {
        (
            format!("Promemoria: {causale} scade il {due} — Portale ECM"),
            format!(
                "ti ricordiamo che il contributo «{causale}» di «{provider}», di {}, scade il {due}.",
                format_euro(amount_cents)
            ),
        )
    };
    build(
        subject,
        &greeting(name),
        &[
            Part::Text(opening),
            Part::Text("Puoi pagarlo online con pagoPA dal portale. Se lo hai già pagato, ignora questo messaggio: il pagamento viene registrato appena MyPay lo conferma.".into()),
            Part::Link { label: "Vai ai pagamenti", url: format!("{public_url}/area/pagamento") },
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_html_carry_the_same_link_and_html_escapes_what_users_typed() {
        let mail = integration_requested(
            "https://ecm.example",
            "Anna <b>",
            "ACME & Figli",
            "Manca il <CV>\nseconda riga",
            &["Sede"],
        );
        assert!(mail.subject.contains("ACME & Figli"));
        assert!(mail.text.contains("https://ecm.example/area/domanda"));
        assert!(mail.text.contains("> Manca il <CV>\n> seconda riga"));
        assert!(mail.html.contains("href=\"https://ecm.example/area/domanda\""));
        assert!(mail.html.contains("ACME &amp; Figli"));
        assert!(mail.html.contains("Manca il &lt;CV&gt;"));
        assert!(!mail.html.contains("<b>"), "a name is text, not markup");
    }

    #[test]
    fn links_composed_on_the_base_get_the_public_url_when_sent() {
        let mail = accredited(LINK_BASE, "Anna", "ACME", None);
        let (text, html) = with_links(&mail.text, &mail.html, "https://ecm.regione.veneto.it");
        assert!(text.contains("https://ecm.regione.veneto.it/area"), "{text}");
        assert!(html.contains("href=\"https://ecm.regione.veneto.it/area\""), "{html}");
        assert!(!text.contains(LINK_BASE) && !html.contains(LINK_BASE));
    }

    #[test]
    fn the_reset_link_carries_the_token_and_the_reminder_writes_dates_the_italian_way() {
        let mail = password_reset("http://localhost:3000", "Anna", "tok_123");
        assert!(mail.text.contains("http://localhost:3000/reimposta-password?token=tok_123"));
        let due = reminder("http://x", "Anna", "ACME", "Quota annuale 2027", 25822, "2027-03-31", false);
        assert!(due.subject.contains("31/03/2027"), "{}", due.subject);
        assert!(due.text.contains("258,22"), "{}", due.text);
        let overdue = reminder("http://x", "Anna", "ACME", "Quota annuale 2027", 25822, "2027-03-31", true);
        assert!(overdue.subject.starts_with("Scadenza superata"));
    }
}
