use leptos::prelude::*;
use leptos_meta::Title;

use super::api::{load_my_provider, SaveProvider};
use super::model::{forma_giuridica, ProviderForm, Section, FORME_GIURIDICHE};
use crate::accounts::Role;
use crate::layout::form::TextField;
use crate::layout::guard::guarded;
use crate::layout::view::ErrorAlert;
use crate::layout::wizard::{WizardStep, WizardStepper};

/// Step 1 of the wizard: the organisation's data (censimento).
#[component]
pub fn CensimentoPage() -> impl IntoView {
    guarded(Role::Provider, |_user| {
        let provider = Resource::new(|| (), |_| load_my_provider());
        view! {
            <Title text="Dati del provider — Portale ECM"/>
            <WizardStepper current=WizardStep::Censimento/>
            <h1>"Dati del provider"</h1>
            <p class="lead">
                "I dati dell'organizzazione che chiede l'accreditamento. Sono anche i dati del pagatore "
                "dei contributi tramite pagoPA. I campi con * sono obbligatori."
            </p>
            <Suspense fallback=|| view! { <p>"Caricamento…"</p> }>
                {move || Suspend::new(async move {
                    match provider.await {
                        Ok(existing) => {
                            let open = existing.as_ref().map_or_else(|| Section::ALL.to_vec(), |p| p.open_sections.clone());
                            let identity_kept = existing.as_ref().is_some_and(|p| p.identity_kept);
                            let initial = existing.map(|p| p.form).unwrap_or_default();
                            view! { <CensimentoForm initial open identity_kept/> }.into_any()
                        }
                        Err(error) => view! { <ErrorAlert error/> }.into_any(),
                    }
                })}
            </Suspense>
        }
    })
}

#[component]
fn CensimentoForm(initial: ProviderForm, open: Vec<Section>, identity_kept: bool) -> impl IntoView {
    let editable = open.iter().any(|s| !s.fields().is_empty());
    let everything = Section::ALL.iter().all(|s| open.contains(s));
    let reopened: Vec<&'static str> = Section::ALL
        .into_iter()
        .filter(|s| open.contains(s) && !s.fields().is_empty())
        .map(Section::label_it)
        .collect();
    let closed = move |section: Section| !open.contains(&section);
    let save = ServerAction::<SaveProvider>::new();
    let server_error = Signal::derive(crate::auth::action_error(save));
    let values: Vec<(&'static str, RwSignal<String>)> =
        ProviderForm::FIELDS.iter().map(|field| (*field, RwSignal::new(initial.get(field).to_string()))).collect();
    let values = StoredValue::new(values);
    let current = move || {
        let mut form = ProviderForm::default();
        values.with_value(|values| {
            for (field, value) in values {
                form.set(field, value.get());
            }
        });
        form
    };
    let value = move |field: &str| {
        values.with_value(|v| v.iter().find(|(f, _)| *f == field).map(|(_, s)| *s)).expect("known field")
    };
    // Live check once something is typed; the server's answer wins after a submit.
    let error = move |field: &'static str| {
        Signal::derive(move || {
            let typed = !value(field).get().trim().is_empty();
            let live = typed.then(|| current().check(field).err().map(|e| e.message_it())).flatten();
            live.or_else(|| server_error.get().and_then(|e| e.field_message(field)))
        })
    };
    let class_label = move || {
        forma_giuridica(value("forma_giuridica").get().trim())
            .map(|(_, _, class)| format!("Tipologia di provider: {}", class.label_it()))
    };
    let field = move |id: &'static str, label: &'static str| {
        view! { <TextField id=id name=form_name(id) label value=value(id) error=error(id)/> }
    };
    view! {
        {(!editable).then(|| view! {
            <div class="alert alert-info" role="alert">
                "La domanda è stata inviata: i dati del provider non sono più modificabili. Se un dato è sbagliato, scrivi alla Segreteria ECM: potrà riaprirlo chiedendo un'integrazione."
            </div>
        })}
        {identity_kept.then(|| view! {
            <div class="alert alert-info" role="alert">
                "Il provider è accreditato: denominazione, codice fiscale, partita IVA e forma giuridica (da cui dipende il Gruppo) restano quelli accreditati. Se sono cambiati, scrivi alla Segreteria ECM: potrà riaprirli chiedendo un'integrazione."
            </div>
        })}
        {(editable && !everything && !identity_kept).then(|| view! {
            <div class="alert alert-warning" role="alert" data-testid="sezioni-modificabili">
                "Integrazione richiesta dalla Segreteria ECM: puoi modificare solo " <strong>{reopened.join("; ")}</strong>
                ". Gli altri dati restano quelli della domanda inviata."
            </div>
        })}
        {move || server_error.get().map(|error| view! { <ErrorAlert error/> })}
        <ActionForm action=save attr:novalidate=true>
            <fieldset disabled=closed(Section::Identita)>
                <legend class="h4">"Organizzazione"</legend>
                {field("denominazione", "Denominazione")}
                <div class="row">
                    <div class="col-12 col-md-6">
                        <TextField id="codice_fiscale" name=form_name("codice_fiscale") label="Codice fiscale" maxlength=16
                            hint="Codice fiscale dell'ente (11 cifre) o della persona (16 caratteri)."
                            value=value("codice_fiscale") error=error("codice_fiscale")/>
                    </div>
                    <div class="col-12 col-md-6">
                        <TextField id="partita_iva" name=form_name("partita_iva") label="Partita IVA" required=false maxlength=11
                            value=value("partita_iva") error=error("partita_iva")/>
                    </div>
                </div>
                <div class="select-wrapper mb-4">
                    <label for="forma_giuridica">"Forma giuridica" <span aria-hidden="true">" *"</span></label>
                    <select
                        id="forma_giuridica"
                        name=form_name("forma_giuridica")
                        required=true
                        aria-describedby="forma_giuridica-aiuto"
                        on:change=move |ev| value("forma_giuridica").set(event_target_value(&ev))
                    >
                        <option value="">"Scegli la forma giuridica"</option>
                        {FORME_GIURIDICHE.iter().map(|(code, label, _)| view! {
                            <option value=*code selected=initial.forma_giuridica == *code>{*label}</option>
                        }).collect_view()}
                    </select>
                    <small id="forma_giuridica-aiuto" class="form-text" data-testid="tipologia">
                        {move || class_label().unwrap_or_else(|| "La tipologia (Gruppo A o B) dipende dalla forma giuridica.".into())}
                    </small>
                    {move || error("forma_giuridica").get().map(|m| view! { <div class="invalid-feedback d-block" role="status">{m}</div> })}
                </div>
            </fieldset>
            <fieldset disabled=closed(Section::LegaleRappresentante)>
                <legend class="h4">"Legale rappresentante"</legend>
                <div class="row">
                    <div class="col-12 col-md-6">{field("legale_nome", "Nome")}</div>
                    <div class="col-12 col-md-6">{field("legale_cognome", "Cognome")}</div>
                </div>
                <TextField id="legale_codice_fiscale" name=form_name("legale_codice_fiscale") label="Codice fiscale del legale rappresentante"
                    maxlength=16 value=value("legale_codice_fiscale") error=error("legale_codice_fiscale")/>
            </fieldset>
            <fieldset disabled=closed(Section::Sede)>
                <legend class="h4">"Sede legale"</legend>
                <div class="row">
                    <div class="col-12 col-md-9">{field("via", "Via / piazza")}</div>
                    <div class="col-12 col-md-3">{field("civico", "Numero civico")}</div>
                </div>
                <div class="row">
                    <div class="col-12 col-md-3">
                        <TextField id="cap" name=form_name("cap") label="CAP" maxlength=5 value=value("cap") error=error("cap")/>
                    </div>
                    <div class="col-12 col-md-6">{field("comune", "Comune")}</div>
                    <div class="col-12 col-md-3">
                        <TextField id="provincia" name=form_name("provincia") label="Provincia" maxlength=2 hint="Sigla, es. VE"
                            value=value("provincia") error=error("provincia")/>
                    </div>
                </div>
            </fieldset>
            <fieldset disabled=closed(Section::Contatti)>
                <legend class="h4">"Contatti"</legend>
                <div class="row">
                    <div class="col-12 col-md-6">
                        <TextField id="pec" name=form_name("pec") label="PEC" kind="email" value=value("pec") error=error("pec")/>
                    </div>
                    <div class="col-12 col-md-6">
                        <TextField id="email" name=form_name("email") label="E-mail" kind="email" autocomplete="email" value=value("email") error=error("email")/>
                    </div>
                </div>
                <TextField id="telefono" name=form_name("telefono") label="Telefono" kind="tel" autocomplete="tel" value=value("telefono") error=error("telefono")/>
            </fieldset>
            {editable.then(|| view! {
                <button type="submit" class="btn btn-primary" disabled=move || save.pending().get()>
                    "Salva e continua"
                </button>
            })}
        </ActionForm>
    }
}

/// Form names of a struct argument: `form[field]` (server_fn decodes them with serde_qs).
fn form_name(field: &'static str) -> &'static str {
    match field {
        "denominazione" => "form[denominazione]",
        "codice_fiscale" => "form[codice_fiscale]",
        "partita_iva" => "form[partita_iva]",
        "forma_giuridica" => "form[forma_giuridica]",
        "legale_nome" => "form[legale_nome]",
        "legale_cognome" => "form[legale_cognome]",
        "legale_codice_fiscale" => "form[legale_codice_fiscale]",
        "via" => "form[via]",
        "civico" => "form[civico]",
        "cap" => "form[cap]",
        "comune" => "form[comune]",
        "provincia" => "form[provincia]",
        "pec" => "form[pec]",
        "email" => "form[email]",
        "telefono" => "form[telefono]",
        other => other,
    }
}
