//! Form building blocks with Bootstrap Italia markup: labelled inputs with a hint and an
//! error announced to assistive technology.

use leptos::prelude::*;

/// A labelled input. `value` and `error` are optional signals: the first gives the initial
/// value and follows what the user types (for live checks), the second shows a message.
#[component]
pub fn TextField(
    id: &'static str,
    label: &'static str,
    /// The form field name (defaults to `id`); server functions taking a struct use `form[field]`.
    #[prop(optional)]
    name: Option<&'static str>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "")] autocomplete: &'static str,
    #[prop(default = true)] required: bool,
    #[prop(optional)] maxlength: Option<usize>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] value: Option<RwSignal<String>>,
    #[prop(optional)] error: Option<Signal<Option<String>>>,
) -> impl IntoView {
    let value = value.unwrap_or_else(|| RwSignal::new(String::new()));
    let error = error.unwrap_or_else(|| Signal::derive(|| None));
    let described_by = described_by(id, hint.is_some(), error);
    view! {
        <div class="form-group mb-4">
            <FieldLabel id label=label.to_string() required/>
            <input
                type=kind
                id=id
                name=name.unwrap_or(id)
                class="form-control"
                class:is-invalid=move || error.get().is_some()
                autocomplete=autocomplete
                required=required
                maxlength=maxlength
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=described_by
                // Written once (server-rendered), then only read: a reactive `prop:value` would
                // reset at hydration whatever the user typed before the page became interactive.
                value=value.get_untracked()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            <FieldNotes id hint=hint.map(String::from) error/>
        </div>
    }
}

/// A labelled text area (a reason, a note), wired like [`TextField`]. `value` is what was typed
/// before a post refused without JavaScript (it comes back in the URL).
#[component]
pub fn TextArea(
    id: &'static str,
    #[prop(into)] label: String,
    #[prop(default = true)] required: bool,
    #[prop(default = 2)] rows: u32,
    #[prop(optional)] maxlength: Option<usize>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional)] value: String,
    #[prop(into)] error: Signal<Option<String>>,
    /// The space below the field (Bootstrap's margin class).
    #[prop(default = "mb-3")]
    spacing: &'static str,
) -> impl IntoView {
    let described_by = described_by(id, hint.is_some(), error);
    view! {
        <div class=format!("form-group {spacing}")>
            <FieldLabel id label=label.to_string() required/>
            <textarea
                id=id
                name=id
                class="form-control"
                class:is-invalid=move || error.get().is_some()
                rows=rows
                required=required
                maxlength=maxlength
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=described_by
            >{value}</textarea>
            <FieldNotes id hint error/>
        </div>
    }
}

/// A field's label, with an asterisk when it is required.
#[component]
fn FieldLabel(id: &'static str, label: String, required: bool) -> impl IntoView {
    view! {
        <label for=id class="active">{label} {required.then(|| view! { <span aria-hidden="true">" *"</span> })}</label>
    }
}

/// What stands under a field: its hint, and its error (announced) while there is one.
#[component]
fn FieldNotes(id: &'static str, hint: Option<String>, error: Signal<Option<String>>) -> impl IntoView {
    let (hint_id, error_id) = (format!("{id}-aiuto"), format!("{id}-errore"));
    view! {
        {hint.map(|text| view! { <small id=hint_id class="form-text">{text}</small> })}
        {move || error.get().map(|message| view! {
            <div id=error_id.clone() class="invalid-feedback d-block" role="status">{message}</div>
        })}
    }
}

/// The `aria-describedby` of a field: its hint, and its error while there is one.
fn described_by(
    id: &str,
    hint: bool,
    error: Signal<Option<String>>,
) -> impl Fn() -> Option<String> + Send + Sync + 'static {
    let (hint_id, error_id) = (format!("{id}-aiuto"), format!("{id}-errore"));
    move || {
        let mut ids = Vec::new();
        if hint {
            ids.push(hint_id.clone());
        }
        if error.get().is_some() {
            ids.push(error_id.clone());
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}
