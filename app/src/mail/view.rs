//! The Segreteria's view of a provider's mail.

use leptos::prelude::*;

use super::model::MailLogLine;
use crate::layout::view::ErrorAlert;

/// A provider's mail log (on the Segreteria's statement page of the provider).
#[component]
pub fn MailLog(lines: Resource<Result<Vec<MailLogLine>, crate::error::AppError>>) -> impl IntoView {
    view! {
        <h2 class="h4 mt-5">"Posta inviata al provider"</h2>
        <Transition fallback=|| view! { <p>"Caricamento…"</p> }>
            {move || Suspend::new(async move {
                match lines.await {
                    Ok(lines) if lines.is_empty() => view! { <p data-testid="posta">"Nessun messaggio."</p> }.into_any(),
                    Ok(lines) => view! {
                        <div class="table-responsive">
                            <table class="table table-sm" data-testid="posta">
                                <thead>
                                    <tr>
                                        <th scope="col">"Scritto il"</th>
                                        <th scope="col">"Tipo"</th>
                                        <th scope="col">"Destinatario"</th>
                                        <th scope="col">"Oggetto"</th>
                                        <th scope="col">"Stato"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {lines.into_iter().map(|line| view! {
                                        <tr>
                                            <td class="text-nowrap">{line.created_at.replace('T', " ").chars().take(16).collect::<String>()}</td>
                                            <td>{line.kind.label_it()}</td>
                                            <td>{line.recipient.clone()}</td>
                                            <td>{line.subject.clone()}</td>
                                            <td>
                                                <span class=line.state.badge_class()>{line.state.label_it()}</span>
                                                {line.sent_at.clone().map(|at| view! { <br/><small>"inviata il " {at.replace('T', " ").chars().take(16).collect::<String>()}</small> })}
                                                {line.last_error.clone().map(|error| view! {
                                                    <br/><small class="text-danger">{format!("tentativi: {}; ultimo errore: {error}", line.tries)}</small>
                                                })}
                                            </td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                    .into_any(),
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                }
            })}
        </Transition>
    }
}
