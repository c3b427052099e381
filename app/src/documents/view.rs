use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::load_my_documents;
use super::model::{format_size, DocumentSlot, DocumentsView, UploadProblem};
use crate::accounts::Role;
use crate::layout::guard::guarded;
use crate::layout::view::{loaded, StepNeeded};
use crate::layout::wizard::{WizardStep, WizardStepper};

/// Step 3 of the wizard: one slot per document type.
#[component]
pub fn DocumentsPage() -> impl IntoView {
    guarded(Role::Provider, |_user| {
        let documents = Resource::new(|| (), |_| load_my_documents());
        let query = use_query_map();
        let reload = Callback::new(move |_: ()| documents.refetch());
        view! {
            <Title text="Documenti — Portale ECM"/>
            <WizardStepper current=WizardStep::Documenti/>
            <h1>"Documenti"</h1>
            <p class="lead">"Carica un file PDF per ogni documento richiesto. Puoi sostituire un documento finché la domanda non è inviata: le versioni precedenti restano nello storico."</p>
            {loaded(documents, move |documents| match documents {
                Some(view) => {
                    // Outcome of an upload made without JavaScript (303 back here).
                    let notice = query.with_untracked(|q| {
                        if let Some(code) = q.get("errore") {
                            UploadProblem::from_code(&code).map(|p| (false, p.message_it(view.max_bytes)))
                        } else {
                            q.get("caricato").map(|_| (true, "Documento caricato.".to_string()))
                        }
                    });
                    view! { <DocumentList view notice reload/> }.into_any()
                }
                None => view! {
                    <StepNeeded message="Prima di caricare i documenti scegli il tipo di domanda."
                        href="/area/domanda" label="Scegli il tipo di domanda"/>
                }.into_any(),
            })}
        }
    })
}

#[component]
fn DocumentList(view: DocumentsView, notice: Option<(bool, String)>, reload: Callback<()>) -> impl IntoView {
    let missing = view.missing_required();
    let max_bytes = view.max_bytes;
    let editable = view.editable;
    view! {
        {notice.map(|(ok, message)| view! {
            <div class=if ok { "alert alert-success" } else { "alert alert-danger" } role="alert" data-testid="esito-caricamento">{message}</div>
        })}
        {if missing.is_empty() {
            view! {
                <div class="alert alert-success" role="status" data-testid="documenti-completi">
                    "Tutti i documenti richiesti sono presenti: puoi passare al pagamento del contributo."
                </div>
            }.into_any()
        } else {
            view! {
                <div class="alert alert-info" role="status" data-testid="documenti-mancanti">
                    <p class="mb-1">"Documenti ancora da caricare:"</p>
                    <ul class="mb-0">{missing.into_iter().map(|label| view! { <li>{label}</li> }).collect_view()}</ul>
                </div>
            }.into_any()
        }}
        <p class="small">"Formato: solo PDF. Dimensione massima: " {format_size(max_bytes)} "."</p>
        {view.slots.into_iter().map(|slot| view! { <SlotCard entry=slot editable max_bytes reload/> }).collect_view()}
    }
}

#[component]
fn SlotCard(entry: DocumentSlot, editable: bool, max_bytes: i64, reload: Callback<()>) -> impl IntoView {
    let code = entry.doc_type.code.clone();
    let input_id = format!("file-{}", code.to_lowercase());
    let progress = RwSignal::new(None::<f64>);
    let message = RwSignal::new(None::<(bool, String)>);
    let has_current = entry.current.is_some();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            ev.prevent_default();
            let Some(form) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok()) else { return };
            message.set(None);
            progress.set(Some(0.0));
            let sent = upload_with_progress(
                &form,
                move |fraction| progress.set(Some(fraction)),
                move |status, body| {
                    progress.set(None);
                    let parsed: Option<serde_json::Value> = serde_json::from_str(&body).ok();
                    let ok = (200..300).contains(&status);
                    let text = parsed
                        .as_ref()
                        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
                        .unwrap_or_else(|| {
                            if ok {
                                "Documento caricato.".into()
                            } else if status == 413 {
                                UploadProblem::TooLarge.message_it(max_bytes)
                            } else {
                                UploadProblem::Unreadable.message_it(max_bytes)
                            }
                        });
                    message.set(Some((ok, if ok { "Documento caricato.".into() } else { text })));
                    if ok {
                        reload.run(());
                    }
                },
            );
            if sent.is_err() {
                progress.set(None);
                message.set(Some((false, UploadProblem::Unreadable.message_it(max_bytes))));
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, max_bytes, reload);
    };
    view! {
        <div class="card card-bg mb-3" data-testid=format!("slot-{code}")>
            <div class="card-body">
                <h2 class="h5 card-title">
                    {entry.doc_type.label.clone()}
                    {entry.doc_type.required.then(|| view! { <span class="badge bg-secondary ms-2">"obbligatorio"</span> })}
                </h2>
                {match entry.current.clone() {
                    Some(current) => view! {
                        <p class="mb-2" data-testid="documento-corrente">
                            <a href=format!("/documenti/{}", current.id) download=current.file_name.clone()>{current.file_name.clone()}</a>
                            " — " {format_size(current.size_bytes)} " — caricato il " {current.uploaded_at.replace('T', " ").chars().take(16).collect::<String>()}
                            <br/><span class="small text-muted">"SHA-256: " <code>{current.sha256.clone()}</code></span>
                        </p>
                    }.into_any(),
                    None => view! { <p class="mb-2 text-muted">"Nessun documento caricato."</p> }.into_any(),
                }}
                {(!entry.history.is_empty()).then(|| view! {
                    <details class="mb-2">
                        <summary>"Versioni precedenti (" {entry.history.len()} ")"</summary>
                        <ul class="small mb-0">
                            {entry.history.iter().map(|v| view! {
                                <li><a href=format!("/documenti/{}", v.id)>{v.file_name.clone()}</a> " — " {v.uploaded_at.replace('T', " ").chars().take(16).collect::<String>()}</li>
                            }).collect_view()}
                        </ul>
                    </details>
                })}
                {editable.then(|| view! {
                    <form method="post" action="/documenti/carica" enctype="multipart/form-data" on:submit=on_submit>
                        <input type="hidden" name="type_code" value=code.clone()/>
                        <div class="mb-2">
                            <label for=input_id.clone() class="form-label">
                                {if has_current { "Sostituisci con un altro PDF" } else { "Scegli il file PDF" }}
                                <span class="visually-hidden">" — " {entry.doc_type.label.clone()}</span>
                            </label>
                            <input type="file" class="form-control" id=input_id.clone() name="file" accept="application/pdf,.pdf" required=true/>
                        </div>
                        <button type="submit" class="btn btn-primary btn-sm" disabled=move || progress.get().is_some()>
                            {if has_current { "Sostituisci" } else { "Carica" }}
                        </button>
                        {move || progress.get().map(|fraction| view! {
                            <div class="progress mt-2" role="progressbar" aria-label="Avanzamento del caricamento"
                                aria-valuemin="0" aria-valuemax="100" aria-valuenow=format!("{:.0}", fraction * 100.0)>
                                <div class="progress-bar" style=format!("width: {:.0}%", fraction * 100.0)></div>
                            </div>
                        })}
                        {move || message.get().map(|(ok, text)| view! {
                            <div class=if ok { "alert alert-success mt-2 mb-0" } else { "alert alert-danger mt-2 mb-0" } role="alert" data-testid="esito-caricamento">{text}</div>
                        })}
                    </form>
                })}
            </div>
        </div>
    }
}

/// Sends the form with XMLHttpRequest so the page can show upload progress (fetch cannot).
#[cfg(feature = "hydrate")]
fn upload_with_progress(
    form: &web_sys::HtmlFormElement,
    on_progress: impl Fn(f64) + 'static,
    on_done: impl FnOnce(u16, String) + 'static,
) -> Result<(), wasm_bindgen::JsValue> {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let xhr = web_sys::XmlHttpRequest::new()?;
    xhr.open("POST", "/documenti/carica")?;
    xhr.set_request_header("Accept", "application/json")?;
    let data = web_sys::FormData::new_with_form(form)?;
    let progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |ev: web_sys::ProgressEvent| {
        if ev.length_computable() && ev.total() > 0.0 {
            on_progress(ev.loaded() / ev.total());
        }
    });
    xhr.upload()?.set_onprogress(Some(progress.as_ref().unchecked_ref()));
    let finished = xhr.clone();
    let done = Closure::once_into_js(move || {
        drop(progress);
        on_done(finished.status().unwrap_or(0), finished.response_text().ok().flatten().unwrap_or_default());
    });
    xhr.set_onloadend(Some(done.unchecked_ref()));
    xhr.send_with_opt_form_data(Some(&data))
}
