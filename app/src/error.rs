//! The one error type that crosses the wire between server functions and the UI.
//!
//! Every variant has a stable snake_case `code` (what the browser receives), an HTTP status
//! and an Italian message for users. Causes (database errors, I/O) are logged on the server
//! with their chain and never sent to the browser: the client only ever sees `Internal`.

use serde::{Deserialize, Serialize};
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

use crate::domain::FieldError;
use crate::payments::model::DebtState;

/// Logs an unexpected failure with its cause and where it was raised (English, server log
/// only) and hides it from the user behind `AppError::Internal`.
#[cfg(feature = "ssr")]
#[track_caller]
pub fn internal(cause: impl std::fmt::Display) -> AppError {
    let at = std::panic::Location::caller();
    tracing::error!(error = %cause, at = %at, "internal error");
    AppError::Internal
}

/// [`internal`] for an error value: logs its whole `source()` chain, outermost first.
#[cfg(feature = "ssr")]
#[track_caller]
pub fn internal_error(error: &(dyn std::error::Error + 'static)) -> AppError {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    internal(chain)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", content = "detail", rename_all = "snake_case")]
pub enum AppError {
    /// The caller is not logged in.
    #[error("authentication required")]
    Unauthenticated,
    /// The caller is logged in but lacks the role or does not own the resource.
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// A user input failed validation; the detail names the field and the rule.
    #[error("invalid input: {0}")]
    Invalid(FieldError),
    /// Several fields of a form failed validation (all reported at once).
    #[error("invalid form: {0:?}")]
    InvalidForm(Vec<FieldError>),
    /// Another provider already uses this codice fiscale.
    #[error("provider already registered")]
    ProviderExists,
    /// The operation is not allowed in the current state of the procedure.
    #[error("not allowed in the current state")]
    WrongState,
    /// The payment step is locked: these items (in Italian) are missing.
    #[error("payment gate closed")]
    PaymentGateClosed(Vec<String>),
    /// A step of the procedure that must come first is missing.
    #[error("a previous step is missing")]
    StepMissing,
    /// Only an accredited provider has a training plan (events).
    #[error("provider not accredited")]
    NotAccredited,
    /// Events of this year can be entered only once its annual fee is verified as paid.
    #[error("annual fee of {0} not paid")]
    AnnualFeeNotPaid(i32),
    #[error("e-mail already registered")]
    EmailTaken,
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("too many login attempts")]
    TooManyAttempts,
    /// Too many registrations from this address (or overall) in the last hour.
    #[error("too many registrations")]
    TooManyRegistrations,
    /// A link from a mail (e-mail verification, password reset) that is unknown, already used
    /// or expired.
    #[error("invalid or expired link")]
    LinkInvalid,
    /// The current password given to change it is wrong.
    #[error("wrong current password")]
    WrongPassword,
    /// MyPay is not configured on this installation.
    #[error("payments unavailable")]
    PaymentsUnavailable,
    /// A debt of the cart is already in a live payment attempt.
    #[error("payment already in progress")]
    PaymentInProgress,
    /// MyPay refused the cart (nothing was created there).
    #[error("cart refused by the payment gateway")]
    PaymentRejected,
    /// MyPay could not be reached: the cart was certainly not sent.
    #[error("payment gateway unreachable")]
    PaymentGatewayDown,
    /// No payment attempt has this MyPay idSession.
    #[error("unknown payment session")]
    UnknownPaymentSession,
    /// The Segreteria must confirm (or correct) the provider's Gruppo before accrediting.
    #[error("provider class not confirmed")]
    ClassNotConfirmed,
    /// The request cannot be submitted before its fees are verified as paid.
    #[error("fees not paid")]
    DebtsNotPaid,
    /// The Segreteria may annul only a DA_PAGARE debt: this one is in the given state.
    #[error("debt cannot be annulled in state {0:?}")]
    DebtNotAnnullable(DebtState),
    /// The debt is not to pay now (being paid, paid or annulled): in the given state.
    #[error("debt not payable in state {0:?}")]
    DebtNotPayable(DebtState),
    /// The treasury channel (quietanza) is not enabled for this provider.
    #[error("treasury channel not enabled")]
    TreasuryChannelOff,
    /// The notice is being issued (MyPay's answer is not known yet): it cannot be cancelled
    /// or downloaded yet.
    #[error("notice not ready")]
    NoticeNotReady,
    /// The notice is being paid right now (MyPay refuses to cancel it): try again later.
    #[error("notice being paid")]
    NoticeBusy,
    /// The notice turned out to be paid already (asked while cancelling it).
    #[error("notice already paid")]
    NoticePaid,
    /// MyPay refused to issue the notice (nothing was created there).
    #[error("notice refused by the payment gateway")]
    NoticeRejected,
    /// The quietanza cannot be accepted: the reasons, in Italian (e.g. its CRO/TRN was already
    /// used to pay another debt).
    #[error("quietanza not acceptable")]
    QuietanzaNotAcceptable(Vec<String>),
    /// Someone else changed the same data at the same moment (a double click, two tabs, the
    /// Segreteria and the provider together): nothing was written by this request.
    #[error("concurrent change")]
    Conflict,
    /// The server is saturated (e.g. every password-hashing slot is busy): retry shortly.
    /// Answered with 503 and `Retry-After`.
    #[error("server busy")]
    Busy,
    /// Something failed on the server; the cause is in the server log only.
    #[error("internal error")]
    Internal,
    /// The request never reached the function, or the answer could not be decoded.
    #[error("transport error: {0}")]
    Transport(String),
    /// The call's arguments could not be read (a malformed or incomplete request: not sent by
    /// the portal's own pages). The detail is for the log.
    #[error("bad request: {0}")]
    BadRequest(String),
}

impl AppError {
    /// Stable machine-readable code (also the serde tag).
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Invalid(_) => "invalid",
            AppError::InvalidForm(_) => "invalid_form",
            AppError::ProviderExists => "provider_exists",
            AppError::WrongState => "wrong_state",
            AppError::StepMissing => "step_missing",
            AppError::NotAccredited => "not_accredited",
            AppError::AnnualFeeNotPaid(_) => "annual_fee_not_paid",
            AppError::PaymentGateClosed(_) => "payment_gate_closed",
            AppError::EmailTaken => "email_taken",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::TooManyAttempts => "too_many_attempts",
            AppError::TooManyRegistrations => "too_many_registrations",
            AppError::LinkInvalid => "link_invalid",
            AppError::WrongPassword => "wrong_password",
            AppError::PaymentsUnavailable => "payments_unavailable",
            AppError::PaymentInProgress => "payment_in_progress",
            AppError::PaymentRejected => "payment_rejected",
            AppError::PaymentGatewayDown => "payment_gateway_down",
            AppError::UnknownPaymentSession => "unknown_payment_session",
            AppError::DebtsNotPaid => "debts_not_paid",
            AppError::ClassNotConfirmed => "class_not_confirmed",
            AppError::DebtNotAnnullable(_) => "debt_not_annullable",
            AppError::DebtNotPayable(_) => "debt_not_payable",
            AppError::TreasuryChannelOff => "treasury_channel_off",
            AppError::NoticeNotReady => "notice_not_ready",
            AppError::NoticeBusy => "notice_busy",
            AppError::NoticePaid => "notice_paid",
            AppError::NoticeRejected => "notice_rejected",
            AppError::QuietanzaNotAcceptable(_) => "quietanza_not_acceptable",
            AppError::Conflict => "conflict",
            AppError::Busy => "busy",
            AppError::Internal => "internal",
            AppError::Transport(_) => "transport",
            AppError::BadRequest(_) => "bad_request",
        }
    }

    /// HTTP status the server answers with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::Invalid(_) | AppError::InvalidForm(_) => 422,
            AppError::ProviderExists | AppError::WrongState | AppError::Conflict => 409,
            AppError::StepMissing | AppError::PaymentGateClosed(_) | AppError::ClassNotConfirmed => 412,
            AppError::NotAccredited | AppError::AnnualFeeNotPaid(_) => 412,
            AppError::EmailTaken => 409,
            AppError::LinkInvalid => 410,
            AppError::WrongPassword => 422,
            AppError::InvalidCredentials => 401,
            AppError::TooManyAttempts | AppError::TooManyRegistrations => 429,
            AppError::PaymentsUnavailable | AppError::PaymentGatewayDown | AppError::Busy => 503,
            AppError::PaymentInProgress | AppError::DebtsNotPaid | AppError::DebtNotAnnullable(_) => 409,
            AppError::DebtNotPayable(_) | AppError::QuietanzaNotAcceptable(_) => 409,
            AppError::TreasuryChannelOff => 412,
            AppError::NoticeNotReady | AppError::NoticeBusy | AppError::NoticePaid => 409,
            AppError::NoticeRejected => 502,
            AppError::PaymentRejected => 502,
            AppError::UnknownPaymentSession => 404,
            AppError::Internal | AppError::Transport(_) => 500,
            AppError::BadRequest(_) => 400,
        }
    }

    /// The message shown to users, in Italian.
    pub fn message_it(&self) -> String {
        match self {
            AppError::Unauthenticated => "Per continuare devi accedere al portale.".into(),
            AppError::Forbidden => {
                "Non hai i permessi per questa operazione o per questa pagina.".into()
            }
            AppError::NotFound => "La risorsa richiesta non esiste.".into(),
            AppError::Invalid(field) => field.message_it(),
            AppError::InvalidForm(fields) => match fields.as_slice() {
                [one] => one.message_it(),
                _ => format!("Alcuni dati non sono validi ({}): correggi i campi evidenziati.", fields.len()),
            },
            AppError::ProviderExists => {
                "Esiste già un provider registrato con questo codice fiscale. Se l'organizzazione è la tua, contatta la Segreteria ECM."
                    .into()
            }
            AppError::WrongState => {
                "Questa operazione non è possibile nello stato attuale della domanda.".into()
            }
            AppError::StepMissing => "Completa prima i passi precedenti della procedura.".into(),
            AppError::NotAccredited => {
                "Il piano formativo è riservato ai provider accreditati: potrai inserire gli eventi dopo l'accreditamento da parte della Segreteria ECM."
                    .into()
            }
            AppError::AnnualFeeNotPaid(year) => format!(
                "Gli eventi del {year} si possono inserire solo dopo la verifica del pagamento della quota annuale {year}: pagala dalla pagina «Pagamento dei contributi»."
            ),
            AppError::PaymentGateClosed(missing) if missing.is_empty() => {
                "Per procedere al pagamento mancano alcuni passi della procedura: completali (la pagina «Pagamento dei contributi» li elenca) e riprova.".into()
            }
            AppError::PaymentGateClosed(missing) => {
                format!("Per procedere al pagamento manca: {}.", missing.join("; "))
            }
            AppError::EmailTaken => {
                "Esiste già un account con questo indirizzo e-mail. Accedi oppure usa un altro indirizzo."
                    .into()
            }
            AppError::InvalidCredentials => "E-mail o password non corretti.".into(),
            AppError::WrongPassword => "La password attuale non è corretta.".into(),
            AppError::LinkInvalid => {
                "Il link non è valido: è già stato usato oppure è scaduto. Puoi chiederne uno nuovo.".into()
            }
            AppError::TooManyAttempts => {
                "Troppi tentativi di accesso non riusciti. Riprova tra qualche minuto.".into()
            }
            AppError::TooManyRegistrations => {
                "Sono state create molte registrazioni da questa connessione nell'ultima ora: riprova più tardi. Se devi registrare più organizzazioni contatta la Segreteria ECM."
                    .into()
            }
            AppError::PaymentsUnavailable => {
                "I pagamenti non sono disponibili in questo momento: il collegamento a MyPay non è configurato. Contatta la Segreteria ECM."
                    .into()
            }
            AppError::PaymentInProgress => {
                "C'è già un pagamento in corso per questi dovuti: attendi l'esito (lo trovi nella pagina Pagamenti) prima di riprovare."
                    .into()
            }
            AppError::PaymentRejected => {
                "MyPay non ha accettato il carrello: nessun importo è stato addebitato. Riprova più tardi; se il problema persiste contatta la Segreteria ECM."
                    .into()
            }
            AppError::PaymentGatewayDown => {
                "MyPay non è raggiungibile in questo momento: il pagamento non è stato avviato e nessun importo è stato addebitato. Riprova più tardi."
                    .into()
            }
            AppError::UnknownPaymentSession => {
                "Non troviamo nessun pagamento con questo identificativo di sessione: nessuna modifica è stata fatta.".into()
            }
            AppError::ClassNotConfirmed => {
                "Prima di accreditare il provider conferma il suo Gruppo (A o B), o correggilo indicando il motivo: dal Gruppo dipendono i contributi dovuti."
                    .into()
            }
            AppError::DebtsNotPaid => {
                "La domanda può procedere solo dopo la verifica del pagamento dei contributi dovuti: paga i contributi indicati nella pagina «Pagamento dei contributi» (per il primo anno: la quota annuale del Gruppo B)."
                    .into()
            }
            AppError::DebtNotAnnullable(DebtState::InCorso) => {
                "Il dovuto non può essere annullato: c'è un pagamento in corso (con pagoPA, o una quietanza da verificare). Attendi l'esito, o decidi la quietanza: se non risulterà pagato potrai annullarlo."
                    .into()
            }
            AppError::DebtNotAnnullable(DebtState::Pagato) => {
                "Il dovuto non può essere annullato: è già stato pagato e il pagamento è stato verificato.".into()
            }
            AppError::DebtNotPayable(DebtState::InCorso) => {
                "Per questo contributo c'è già un pagamento in corso (con pagoPA, o una quietanza in verifica): attendi l'esito prima di pagarlo in un altro modo."
                    .into()
            }
            AppError::DebtNotPayable(DebtState::Pagato) => "Questo contributo risulta già pagato: non serve pagarlo di nuovo.".into(),
            AppError::DebtNotPayable(_) => {
                "Questo contributo non è da pagare (è stato annullato dalla Segreteria ECM): ricarica la pagina.".into()
            }
            AppError::NoticeNotReady => {
                "L'avviso di pagamento è in preparazione: MyPay non ha ancora confermato l'emissione. Riprova tra qualche minuto; nessun avviso viene emesso due volte."
                    .into()
            }
            AppError::NoticeBusy => {
                "L'avviso è in pagamento su pagoPA in questo momento e non si può annullare: riprova tra qualche minuto.".into()
            }
            AppError::NoticePaid => {
                "L'avviso risulta già pagato: il contributo è saldato e non va pagato di nuovo.".into()
            }
            AppError::NoticeRejected => {
                "MyPay non ha emesso l'avviso di pagamento: nessun avviso è stato creato e nulla è stato addebitato. Riprova più tardi; se il problema persiste contatta la Segreteria ECM."
                    .into()
            }
            AppError::TreasuryChannelOff => {
                "Il pagamento con bonifico di tesoreria (quietanza) non è attivo per il tuo provider: pagalo online con pagoPA, oppure chiedi alla Segreteria ECM di attivarlo."
                    .into()
            }
            AppError::QuietanzaNotAcceptable(reasons) if reasons.is_empty() => {
                "La quietanza non si può accettare: rifiutala indicando il motivo.".into()
            }
            AppError::QuietanzaNotAcceptable(reasons) => {
                format!("La quietanza non si può accettare: {}. Rifiutala indicando il motivo.", reasons.join("; "))
            }
            AppError::DebtNotAnnullable(DebtState::Annullato) => "Il dovuto è già stato annullato.".into(),
            AppError::DebtNotAnnullable(DebtState::DaPagare) => {
                "Il dovuto non può essere annullato in questo momento: ricarica la pagina e riprova.".into()
            }
            AppError::Conflict => {
                "Questi dati sono stati modificati nello stesso momento da un'altra operazione (forse un doppio clic o un'altra scheda): la tua richiesta non è stata applicata. Ricarica la pagina e controlla."
                    .into()
            }
            AppError::Busy => {
                "Il portale è molto occupato in questo momento: nessun dato è stato perso. Riprova tra qualche secondo.".into()
            }
            AppError::Internal => {
                "Si è verificato un errore interno. Riprova più tardi; se il problema persiste contatta la Segreteria ECM."
                    .into()
            }
            AppError::BadRequest(_) => {
                "La richiesta non è valida o è incompleta: ricarica la pagina e riprova.".into()
            }
            AppError::Transport(_) => {
                "Impossibile contattare il server. Controlla la connessione e riprova.".into()
            }
        }
    }
}

impl AppError {
    /// An error read back from a URL: the `__err` of a form posted without JavaScript. Anyone
    /// can write such a URL and send it to a provider or to the Segreteria, so only codes
    /// survive: free text (the items of a closed payment gate, field names the portal does
    /// not know, details) is dropped, and the page shows the code's fixed Italian message.
    pub fn from_url(error: AppError) -> AppError {
        let known =
            |field: &FieldError| crate::domain::field_label_it(&field.field) != field.field || field.field == "dato";
        let field = |error: FieldError| if known(&error) { error } else { FieldError::new("dato", error.rule) };
        match error {
            AppError::PaymentGateClosed(_) => AppError::PaymentGateClosed(Vec::new()),
            AppError::QuietanzaNotAcceptable(_) => AppError::QuietanzaNotAcceptable(Vec::new()),
            AppError::Invalid(error) => AppError::Invalid(field(error)),
            AppError::InvalidForm(errors) => AppError::InvalidForm(errors.into_iter().map(field).collect()),
            AppError::Transport(_) => AppError::Transport(String::new()),
            AppError::BadRequest(_) => AppError::BadRequest(String::new()),
            other => other,
        }
    }

    /// The validation error of one field, if this error carries one.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid(error) if error.field == field => Some(error.message_it()),
            AppError::InvalidForm(errors) => errors.iter().find(|e| e.field == field).map(FieldError::message_it),
            _ => None,
        }
    }
}

impl From<FieldError> for AppError {
    fn from(value: FieldError) -> Self {
        AppError::Invalid(value)
    }
}

impl FromServerFnError for AppError {
    type Encoder = crate::codec::JsonText;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // On the server: the arguments of the call could not be read. The deserializer's
            // text (which names fields and types) goes to the log, never to the caller.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                #[cfg(feature = "ssr")]
                tracing::info!(detail = %value, "server function arguments could not be read: answering 400");
                AppError::BadRequest(String::new())
            }
            _ => AppError::Transport(value.to_string()),
        }
    }
}
