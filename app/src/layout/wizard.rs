//! The stepper of the provider's accreditation procedure, shown on every page of the wizard.

use leptos::prelude::*;

/// The steps of the provider's procedure, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WizardStep {
    Censimento,
    Domanda,
    Documenti,
    Pagamento,
    Invio,
}

impl WizardStep {
    pub const ALL: [WizardStep; 5] =
        [WizardStep::Censimento, WizardStep::Domanda, WizardStep::Documenti, WizardStep::Pagamento, WizardStep::Invio];

    pub fn label_it(self) -> &'static str {
        match self {
            WizardStep::Censimento => "Dati del provider",
            WizardStep::Domanda => "Tipo di domanda",
            WizardStep::Documenti => "Documenti",
            WizardStep::Pagamento => "Pagamento",
            WizardStep::Invio => "Invio",
        }
    }
}

/// Bootstrap Italia stepper showing where the provider is.
#[component]
pub fn WizardStepper(current: WizardStep) -> impl IntoView {
    view! {
        <nav class="steppers mb-4" aria-label="Passi della procedura di accreditamento">
            <div class="steppers-header">
                <ol class="list-unstyled d-flex flex-wrap gap-2 mb-0" data-testid="stepper">
                    {WizardStep::ALL.into_iter().enumerate().map(|(i, step)| {
                        let state = if step < current { "confirmed" } else if step == current { "active" } else { "" };
                        view! {
                            <li class=state aria-current=(step == current).then_some("step")>
                                <span class="steppers-number me-1">{i + 1}"."</span>
                                {step.label_it()}
                                {(step < current).then(|| view! { <span class="visually-hidden">" (completato)"</span> })}
                            </li>
                        }
                    }).collect_view()}
                </ol>
            </div>
        </nav>
    }
}
