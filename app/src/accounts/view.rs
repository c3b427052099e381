use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::auth::{form_error, use_auth};
use crate::domain::{Email, NewPassword};
use crate::layout::form::TextField as Field;
use crate::layout::view::{ErrorAlert, NarrowPage};

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    let error = crate::auth::action_error(auth.login);
    let query = use_query_map();
    view! {
        <NarrowPage title="Accedi" heading_class="mb-4">
            {move || {
                (query.read().get("uscita").as_deref() == Some("ovunque")).then(|| view! {
                    <div class="alert alert-success" role="status" data-testid="uscita-ovunque">
                        "Sei uscito da tutti i dispositivi: ogni sessione del tuo account è stata chiusa."
                    </div>
                })
            }}
            {move || {
                (query.read().get("password").as_deref() == Some("reimpostata")).then(|| view! {
                    <div class="alert alert-success" role="status" data-testid="password-reimpostata">
                        "Password reimpostata. Accedi con la nuova password: le sessioni aperte in precedenza sono state chiuse."
                    </div>
                })
            }}
            {move || error().map(|error| view! { <ErrorAlert error/> })}
            <ActionForm action=auth.login attr:novalidate=true>
                <Field id="email" label="E-mail" kind="email" autocomplete="username"/>
                <Field id="password" label="Password" kind="password" autocomplete="current-password"/>
                <button type="submit" class="btn btn-primary" disabled=move || auth.login.pending().get()>
                    "Accedi"
                </button>
            </ActionForm>
            <p class="mt-3"><A href="/password-dimenticata">"Password dimenticata?"</A></p>
            <p class="mt-2">
                "Non hai ancora un account? " <A href="/registrazione">"Registrati come provider"</A>
            </p>
        </NarrowPage>
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let auth = use_auth();
    let email = RwSignal::new(String::new());
    // Instant feedback with the same rules the server applies, shown once the user typed.
    let email_error = Signal::derive(move || {
        let value = email.get();
        (!value.is_empty()).then(|| Email::parse(&value).err().map(|e| e.message_it())).flatten()
    });
    let error = crate::auth::action_error(auth.register);
    let query = use_query_map();
    view! {
        <Title text="Registrazione provider — Portale ECM"/>
        <div class="row justify-content-center">
            <div class="col-12 col-md-10 col-lg-7">
                <h1 class="mb-2">"Registrazione"</h1>
                <p class="lead mb-4">
                    "Crea l'account con cui la tua organizzazione chiederà l'accreditamento come provider ECM."
                </p>
                <Show
                    when=move || query.read().get("inviata").is_none()
                    fallback=|| view! {
                        <div class="alert alert-success" role="status" data-testid="registrazione-inviata">
                            "Richiesta di registrazione ricevuta. Ti abbiamo inviato un messaggio all'indirizzo indicato: apri il link che contiene per confermare l'indirizzo ed entrare nella tua area. Puoi anche accedere subito con l'e-mail e la password che hai scelto."
                        </div>
                        <p>
                            "Se l'indirizzo aveva già un account, il messaggio lo dice e spiega come accedere o reimpostare la password."
                        </p>
                        <A href="/accedi" attr:class="btn btn-primary">"Accedi"</A>
                    }
                >
                    {move || error().map(|error| view! { <ErrorAlert error/> })}
                    <ActionForm action=auth.register attr:novalidate=true>
                        <Field id="display_name" label="Nome e cognome del referente" autocomplete="name"/>
                        <Field id="email" label="E-mail" kind="email" autocomplete="email" value=email error=email_error/>
                        <NewPasswordFields label="Password" confirm_label="Conferma password"/>
                        <button type="submit" class="btn btn-primary" disabled=move || auth.register.pending().get()>
                            "Registrati"
                        </button>
                    </ActionForm>
                    <p class="mt-4">"Hai già un account? " <A href="/accedi">"Accedi"</A></p>
                </Show>
            </div>
        </div>
    }
}

/// «Password dimenticata»: asks for the address and always answers the same way.
#[component]
pub fn PasswordForgottenPage() -> impl IntoView {
    let action = ServerAction::<crate::accounts::api::RequestPasswordReset>::new();
    let error = crate::auth::action_error(action);
    let query = use_query_map();
    let sent = move || query.read().get("inviata").is_some();
    view! {
        <NarrowPage title="Password dimenticata">
            <Show
                when=sent
                fallback=move || view! {
                    <p class="mb-4">
                        "Scrivi l'indirizzo e-mail del tuo account: ti invieremo un link per scegliere una nuova password."
                    </p>
                    {move || error().map(|error| view! { <ErrorAlert error/> })}
                    <ActionForm action attr:novalidate=true>
                        <Field id="email" label="E-mail" kind="email" autocomplete="username"/>
                        <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>
                            "Invia il link"
                        </button>
                    </ActionForm>
                }
            >
                <div class="alert alert-success" role="status" data-testid="reset-inviato">
                    "Se l'indirizzo corrisponde a un account del portale, riceverai entro pochi minuti un messaggio con il link per scegliere una nuova password. Il link vale un'ora e si può usare una sola volta."
                </div>
                <p>"Non trovi il messaggio? Controlla la cartella della posta indesiderata, oppure " <A href="/password-dimenticata">"chiedi un nuovo link"</A> "."</p>
            </Show>
            <p class="mt-4"><A href="/accedi">"Torna all'accesso"</A></p>
        </NarrowPage>
    }
}

/// The page of the reset link: a new password, twice.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<crate::accounts::api::ResetPassword>::new();
    let error = crate::auth::action_error(action);
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    view! {
        <NarrowPage title="Nuova password" heading="Scegli una nuova password">
            <p class="mb-4">"La nuova password vale da subito; le sessioni aperte con il tuo account vengono chiuse."</p>
            <Show
                when=move || !token().is_empty()
                fallback=|| view! {
                    <div class="alert alert-danger" role="alert">
                        "Il link è incompleto: aprilo di nuovo dal messaggio ricevuto, oppure "
                        <A href="/password-dimenticata">"chiedine uno nuovo"</A> "."
                    </div>
                }
            >
                {move || error().map(|error| view! { <ErrorAlert error/> })}
                {move || (error() == Some(crate::error::AppError::LinkInvalid)).then(|| view! {
                    <p><A href="/password-dimenticata">"Chiedi un nuovo link"</A></p>
                })}
                <ActionForm action attr:novalidate=true>
                    <input type="hidden" name="token" prop:value=token/>
                    <NewPasswordFields label="Nuova password" confirm_label="Conferma la nuova password"/>
                    <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>
                        "Salva la nuova password"
                    </button>
                </ActionForm>
            </Show>
        </NarrowPage>
    }
}

/// The page of the verification link: a button confirms (a GET never changes anything, so a
/// mail scanner that opens the link does not use it up).
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let action = ServerAction::<crate::accounts::api::VerifyEmail>::new();
    let error = crate::auth::action_error(action);
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let confirmed = move || query.read().get("esito").as_deref() == Some("confermato");
    view! {
        <NarrowPage title="Conferma dell'indirizzo e-mail">
            <Show
                when=move || !confirmed()
                fallback=|| view! {
                    <div class="alert alert-success" role="status" data-testid="email-verificata">
                        "Indirizzo e-mail confermato. Grazie!"
                    </div>
                    <p><A href="/area">"Vai alla tua area"</A></p>
                }
            >
                {move || error().map(|error| view! { <ErrorAlert error/> })}
                <p>"Premi il pulsante per confermare che l'indirizzo e-mail del tuo account è corretto."</p>
                <ActionForm action>
                    <input type="hidden" name="token" prop:value=token/>
                    <button type="submit" class="btn btn-primary" disabled=move || action.pending().get() || token().is_empty()>
                        "Conferma indirizzo"
                    </button>
                </ActionForm>
            </Show>
        </NarrowPage>
    }
}

/// On the provider's home: a reminder to confirm the address, with «invia di nuovo». Decided
/// from the account the page already has (no request of its own).
#[component]
pub fn EmailVerificationBanner(verified: bool) -> impl IntoView {
    let resend = ServerAction::<crate::accounts::api::ResendVerification>::new();
    (!verified).then(|| view! {
        <div class="alert alert-warning d-flex flex-wrap align-items-center gap-2" role="status" data-testid="verifica-email">
            <span class="me-auto">
                "Conferma il tuo indirizzo e-mail: ti abbiamo inviato un messaggio con il link. Senza un indirizzo confermato potresti non ricevere gli avvisi di scadenza e gli esiti della domanda."
            </span>
            {move || match resend.value().get() {
                Some(Ok(())) => view! { <span class="fw-semibold">"Messaggio inviato di nuovo."</span> }.into_any(),
                Some(Err(error)) => view! { <span class="text-danger">{error.message_it()}</span> }.into_any(),
                None => view! {
                    <ActionForm action=resend>
                        <button type="submit" class="btn btn-sm btn-outline-primary" disabled=move || resend.pending().get()>
                            "Invia di nuovo"
                        </button>
                    </ActionForm>
                }
                .into_any(),
            }}
        </div>
    })
}

/// «Il tuo account» (providers and Segreteria): the address, a password change, and «Esci da
/// tutti i dispositivi».
#[component]
pub fn AccountPage() -> impl IntoView {
    crate::layout::guard::guarded_any(|user| {
        let change = ServerAction::<crate::accounts::api::ChangePassword>::new();
        let everywhere = ServerAction::<crate::accounts::api::LogoutEverywhere>::new();
        let changed_error = form_error("accounts/password-change");
        let error = move || change.value().get().map_or_else(|| changed_error.get(), Result::err);
        let query = use_query_map();
        let changed = move || query.read().get("password").as_deref() == Some("cambiata");
        view! {
            <Title text="Il tuo account — Portale ECM"/>
            <div class="row justify-content-center">
                <div class="col-12 col-md-10 col-lg-7">
                    <h1 class="mb-3">"Il tuo account"</h1>
                    <p>
                        "E-mail: " <strong data-testid="account-email">{user.email.clone()}</strong>
                        {if user.email_verified { " (confermata)" } else { " (da confermare)" }}
                    </p>
                    <h2 class="h4 mt-4 mb-4">"Cambia la password"</h2>
                    {move || changed().then(|| view! {
                        <div class="alert alert-success" role="status" data-testid="password-cambiata">
                            "Password cambiata. Le sessioni aperte su altri dispositivi sono state chiuse."
                        </div>
                    })}
                    {move || error().map(|error| view! { <ErrorAlert error/> })}
                    <ActionForm action=change attr:novalidate=true>
                        <Field id="current_password" label="Password attuale" kind="password" autocomplete="current-password"/>
                        <NewPasswordFields label="Nuova password" confirm_label="Conferma la nuova password"/>
                        <button type="submit" class="btn btn-primary" disabled=move || change.pending().get()>
                            "Cambia la password"
                        </button>
                    </ActionForm>
                    <h2 class="h4 mt-5">"Sessioni"</h2>
                    <p>
                        "Se hai usato il portale da un computer condiviso o pensi che qualcuno abbia la tua password, "
                        "chiudi tutte le sessioni: dovrai accedere di nuovo su ogni dispositivo."
                    </p>
                    <ActionForm action=everywhere>
                        <button type="submit" class="btn btn-outline-danger" disabled=move || everywhere.pending().get()>
                            "Esci da tutti i dispositivi"
                        </button>
                    </ActionForm>
                </div>
            </div>
        }
    })
}

/// A new password and its confirmation (`password`, `password_confirm`), checked while typing
/// with the rules the server applies (registration, reset, change).
#[component]
fn NewPasswordFields(label: &'static str, confirm_label: &'static str) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let password_error = Signal::derive(move || {
        let value = password.get();
        (!value.is_empty()).then(|| NewPassword::parse(&value, &value).err().map(|e| e.message_it())).flatten()
    });
    let confirm_error = Signal::derive(move || {
        let value = confirm.get();
        (!value.is_empty() && value != password.get()).then(|| "Le due password non coincidono.".to_string())
    });
    view! {
        <Field
            id="password"
            label=label
            kind="password"
            autocomplete="new-password"
            hint="Almeno 10 caratteri, con almeno una lettera e una cifra."
            value=password
            error=password_error
        />
        <Field id="password_confirm" label=confirm_label kind="password" autocomplete="new-password" value=confirm error=confirm_error/>
    }
}
