use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::auth::{form_error, use_auth};
use crate::domain::{Email, NewPassword};
use crate::layout::form::TextField as Field;
use crate::layout::view::ErrorAlert;

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    let redirected = form_error("accounts/login");
    let error = move || auth.login.value().get().map_or_else(|| redirected.get(), Result::err);
    view! {
        <Title text="Accedi — Portale ECM"/>
        <div class="row justify-content-center">
            <div class="col-12 col-md-8 col-lg-6">
                <h1 class="mb-4">"Accedi"</h1>
                {move || error().map(|error| view! { <ErrorAlert error/> })}
                <ActionForm action=auth.login attr:novalidate=true>
                    <Field id="email" label="E-mail" kind="email" autocomplete="username"/>
                    <Field id="password" label="Password" kind="password" autocomplete="current-password"/>
                    <button type="submit" class="btn btn-primary" disabled=move || auth.login.pending().get()>
                        "Accedi"
                    </button>
                </ActionForm>
                <p class="mt-4">
                    "Non hai ancora un account? " <A href="/registrazione">"Registrati come provider"</A>
                </p>
            </div>
        </div>
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let auth = use_auth();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    // Instant feedback with the same rules the server applies, shown once the user typed.
    let email_error = Signal::derive(move || {
        let value = email.get();
        (!value.is_empty()).then(|| Email::parse(&value).err().map(|e| e.message_it())).flatten()
    });
    let password_error = Signal::derive(move || {
        let value = password.get();
        (!value.is_empty())
            .then(|| NewPassword::parse(&value, &value).err().map(|e| e.message_it()))
            .flatten()
    });
    let confirm_error = Signal::derive(move || {
        let value = confirm.get();
        (!value.is_empty() && value != password.get()).then(|| "Le due password non coincidono.".to_string())
    });
    let redirected = form_error("accounts/register");
    let error = move || auth.register.value().get().map_or_else(|| redirected.get(), Result::err);
    view! {
        <Title text="Registrazione provider — Portale ECM"/>
        <div class="row justify-content-center">
            <div class="col-12 col-md-10 col-lg-7">
                <h1 class="mb-2">"Registrazione"</h1>
                <p class="lead mb-4">
                    "Crea l'account con cui la tua organizzazione chiederà l'accreditamento come provider ECM."
                </p>
                {move || error().map(|error| view! { <ErrorAlert error/> })}
                <ActionForm action=auth.register attr:novalidate=true>
                    <Field id="display_name" label="Nome e cognome del referente" autocomplete="name"/>
                    <Field id="email" label="E-mail" kind="email" autocomplete="email" value=email error=email_error/>
                    <Field
                        id="password"
                        label="Password"
                        kind="password"
                        autocomplete="new-password"
                        hint="Almeno 10 caratteri, con almeno una lettera e una cifra."
                        value=password
                        error=password_error
                    />
                    <Field
                        id="password_confirm"
                        label="Conferma password"
                        kind="password"
                        autocomplete="new-password"
                        value=confirm
                        error=confirm_error
                    />
                    <button type="submit" class="btn btn-primary" disabled=move || auth.register.pending().get()>
                        "Registrati"
                    </button>
                </ActionForm>
                <p class="mt-4">"Hai già un account? " <A href="/accedi">"Accedi"</A></p>
            </div>
        </div>
    }
}
