//! The one error type that crosses the wire between server functions and the UI.
//!
//! Every variant has a stable snake_case `code` (what the browser receives), an HTTP status
//! and an Italian message for users. Causes (database errors, I/O) are logged on the server
//! with their chain and never sent to the browser: the client only ever sees `Internal`.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

use crate::domain::FieldError;

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
    #[error("e-mail already registered")]
    EmailTaken,
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("too many login attempts")]
    TooManyAttempts,
    /// Something failed on the server; the cause is in the server log only.
    #[error("internal error")]
    Internal,
    /// The request never reached the function, or the answer could not be decoded.
    #[error("transport error: {0}")]
    Transport(String),
}

impl AppError {
    /// Stable machine-readable code (also the serde tag).
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Invalid(_) => "invalid",
            AppError::EmailTaken => "email_taken",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::TooManyAttempts => "too_many_attempts",
            AppError::Internal => "internal",
            AppError::Transport(_) => "transport",
        }
    }

    /// HTTP status the server answers with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::Invalid(_) => 422,
            AppError::EmailTaken => 409,
            AppError::InvalidCredentials => 401,
            AppError::TooManyAttempts => 429,
            AppError::Internal | AppError::Transport(_) => 500,
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
            AppError::EmailTaken => {
                "Esiste già un account con questo indirizzo e-mail. Accedi oppure usa un altro indirizzo."
                    .into()
            }
            AppError::InvalidCredentials => "E-mail o password non corretti.".into(),
            AppError::TooManyAttempts => {
                "Troppi tentativi di accesso non riusciti. Riprova tra qualche minuto.".into()
            }
            AppError::Internal => {
                "Si è verificato un errore interno. Riprova più tardi; se il problema persiste contatta la Segreteria ECM."
                    .into()
            }
            AppError::Transport(_) => {
                "Impossibile contattare il server. Controlla la connessione e riprova.".into()
            }
        }
    }
}

impl From<FieldError> for AppError {
    fn from(value: FieldError) -> Self {
        AppError::Invalid(value)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}
