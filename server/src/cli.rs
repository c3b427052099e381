//! Operators' commands of `ecm-server` (besides serving the portal):
//!
//! ```text
//! ecm-server                                   serve the portal
//! ecm-server mypay chiedi-pagati <idSession>   ask MyPay for the outcome of a payment session
//! ```
//!
//! Commands read the same settings as the portal (environment variables).

use std::fmt::Write as _;

use mypay::{MyPayClient, MyPayError, Payment, PaymentStatus, PendingReason};

use crate::settings::Settings;

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Serve,
    MyPayChiediPagati { id_session: String },
}

pub const USAGE: &str = "usage: ecm-server [mypay chiedi-pagati <idSession>]";

/// Parses the arguments after the program name.
pub fn parse_args(args: &[String]) -> Result<Command, String> {
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] => Ok(Command::Serve),
        ["mypay", "chiedi-pagati", id] if !id.trim().is_empty() => {
            Ok(Command::MyPayChiediPagati { id_session: id.trim().to_string() })
        }
        _ => Err(USAGE.to_string()),
    }
}

/// `ecm-server mypay chiedi-pagati <idSession>`: the decoded answer as text, and the process exit
/// code (0 answer received, 1 MyPay unreachable or not answering properly, 2 not configured).
pub async fn mypay_chiedi_pagati(settings: &Settings, id_session: &str) -> (String, i32) {
    let Some(mypay) = &settings.mypay else {
        return ("MyPay non configurato / not configured: set ECM_MYPAY_ENDPOINT, ECM_MYPAY_COD_IPA_ENTE, ECM_MYPAY_PASSWORD\n".into(), 2);
    };
    let client = match MyPayClient::from_settings(mypay) {
        Ok(client) => client,
        Err(error) => return (describe_error(&error), 1),
    };
    match client.chiedi_pagati(id_session).await {
        Ok(status) => (describe_status(id_session, &status), 0),
        Err(error) => (describe_error(&error), 1),
    }
}

fn describe_error(error: &MyPayError) -> String {
    format!("Errore di comunicazione con MyPay / MyPay call failed ({}): {error}\nStato del pagamento sconosciuto: riprovare più tardi / payment state unknown: retry later.\n", error.label())
}

fn describe_payment(out: &mut String, p: &Payment) {
    let _ = writeln!(out, "IUV: {}", p.iuv);
    let _ = writeln!(out, "Ricevuta / receipt: {} del / of {}", p.receipt_id, p.receipt_date_time);
    let _ = writeln!(out, "Codice esito / outcome code: {}", p.outcome.code());
    let _ = writeln!(out, "Totale pagato / total paid: € {}", p.total);
    let _ = writeln!(out, "PSP: {}", p.psp);
    for line in &p.lines {
        let _ = writeln!(out, "  IUD {}: € {} (IUR {}, {})", line.iud, line.amount, line.iur, line.date);
    }
}

/// The outcome in plain Italian and English.
pub fn describe_status(id_session: &str, status: &PaymentStatus) -> String {
    let mut out = format!("idSession {id_session}\n");
    let headline = match status {
        PaymentStatus::Paid(_) => "PAGATO / PAID (codiceEsitoPagamento 0): verificare importi e IUD / check amounts and IUDs",
        PaymentStatus::RecordedByEnte(_) => {
            "REGISTRATO DALL'ENTE / RECORDED BY THE ENTE (codice 9, fuori pagoPA): nessuna ricevuta pagoPA / no pagoPA receipt"
        }
        PaymentStatus::NotPaid(_) => "NON PAGATO / NOT PAID: un nuovo tentativo richiede nuovi IUD / a new attempt needs new IUDs",
        PaymentStatus::Partial(_) => "PAGATO PARZIALMENTE / PARTIALLY PAID: verifica manuale / manual review",
        PaymentStatus::Pending { reason: PendingReason::NotStarted, .. } => {
            "IN ATTESA / PENDING: pagamento non iniziato (o in corso su pagoPA Checkout) / not started (or in progress on Checkout)"
        }
        PaymentStatus::Pending { reason: PendingReason::InProgress, .. } => "IN CORSO / IN PROGRESS: riprovare più tardi / poll again later",
        PaymentStatus::Expired(_) => "SCADUTO / EXPIRED: non pagato (possibile ricevuta tardiva) / not paid (a late receipt is possible)",
        PaymentStatus::Cancelled(_) => "ANNULLATO / CANCELLED",
        PaymentStatus::UnknownSession(_) => "SESSIONE SCONOSCIUTA / UNKNOWN SESSION",
        PaymentStatus::NotFound(_) => "NON TROVATO / NOT FOUND",
        PaymentStatus::CredentialsRejected(_) => "CREDENZIALI RIFIUTATE / CREDENTIALS REJECTED: controllare la configurazione / check the configuration",
        PaymentStatus::SystemError(_) => "ERRORE DI SISTEMA MYPAY / MYPAY SYSTEM ERROR: riprovare / retry",
        PaymentStatus::OtherFault(_) => "RISPOSTA INATTESA / UNEXPECTED ANSWER",
    };
    let _ = writeln!(out, "Esito / outcome: {headline}");
    match status {
        PaymentStatus::Paid(p)
        | PaymentStatus::RecordedByEnte(p)
        | PaymentStatus::NotPaid(p)
        | PaymentStatus::Partial(p) => describe_payment(&mut out, p),
        PaymentStatus::Pending { rejection: r, .. }
        | PaymentStatus::Expired(r)
        | PaymentStatus::Cancelled(r)
        | PaymentStatus::UnknownSession(r)
        | PaymentStatus::NotFound(r)
        | PaymentStatus::CredentialsRejected(r)
        | PaymentStatus::SystemError(r)
        | PaymentStatus::OtherFault(r) => {
            let _ = writeln!(out, "MyPay: {r}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_serve_and_the_mypay_command() {
        assert_eq!(parse_args(&args(&[])), Ok(Command::Serve));
        assert_eq!(
            parse_args(&args(&["mypay", "chiedi-pagati", "abc-1"])),
            Ok(Command::MyPayChiediPagati { id_session: "abc-1".into() })
        );
        assert_eq!(parse_args(&args(&["mypay", "chiedi-pagati"])), Err(USAGE.to_string()));
        assert_eq!(parse_args(&args(&["serve", "x"])), Err(USAGE.to_string()));
    }

    #[tokio::test]
    async fn without_mypay_settings_the_command_says_so() {
        let settings = Settings::from_map(Default::default()).unwrap();
        let (text, code) = mypay_chiedi_pagati(&settings, "abc").await;
        assert_eq!(code, 2);
        assert!(text.contains("ECM_MYPAY_ENDPOINT"), "{text}");
    }
}
