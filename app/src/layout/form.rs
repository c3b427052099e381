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
    let hint_id = format!("{id}-aiuto");
    let error_id = format!("{id}-errore");
    let described_by = {
        let hint_id = hint_id.clone();
        let error_id = error_id.clone();
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="form-group mb-4">
            <label for=id class="active">{label} {required.then(|| view! { <span aria-hidden="true">" *"</span> })}</label>
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
            {hint.map(|text| view! { <small id=hint_id class="form-text">{text}</small> })}
            {move || error.get().map(|message| view! {
                <div id=error_id.clone() class="invalid-feedback d-block" role="status">{message}</div>
            })}
        </div>
    }
}
