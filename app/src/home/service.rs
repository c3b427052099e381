//! The provider's home, read in one pass: the provider, its latest request (with history), the
//! request's fees and the payment gate, from five SQL statements (the provider; its latest request
//! and whether it is accredited; the document slots; the fees; the request's history) — the same
//! answers `providers/mine`, `requests/mine`, `payments/summary` and `requests/gate` give one by one.

use super::model::AreaOverview;
use crate::db::Db;
use crate::error::AppError;
use crate::payments::model::PaymentSummary;
use crate::requests::model::PaymentGate;
use crate::store;

pub async fn overview(db: &Db, payments_available: bool, user_id: &str) -> Result<AreaOverview, AppError> {
    let Some(provider) = store::providers::by_user(db, user_id).await? else {
        return Ok(AreaOverview {
            provider: None,
            request: None,
            payments: None,
            gate: PaymentGate {
                missing: vec!["i dati del provider (censimento)".into(), "la scelta del tipo di domanda".into()],
            },
        });
    };
    let (request, accredited) = store::requests::latest_and_accredited(db, &provider.id).await?;
    let view = crate::providers::service::view(&provider, request.as_ref(), accredited);
    let mut missing = Vec::new();
    if let Err(errors) = view.form.validate() {
        missing.extend(errors.iter().map(|e| format!("dati del provider: {}", e.message_it())));
    }
    let Some(request) = request else {
        missing.push("la scelta del tipo di domanda".into());
        return Ok(AreaOverview { provider: Some(view), request: None, payments: None, gate: PaymentGate { missing } });
    };
    let slots = crate::documents::service::slots(db, &request.id).await?;
    missing.extend(
        slots
            .iter()
            .filter(|s| s.doc_type.required && s.current.is_none())
            .map(|s| format!("il documento «{}»", s.doc_type.label)),
    );
    let debts = crate::payments::service::debts_of_request(db, &request.id).await?;
    let request_paid = debts.iter().all(|d| d.state == crate::payments::model::DebtState::Pagato);
    let request = crate::requests::service::view(db, request).await?;
    Ok(AreaOverview {
        provider: Some(view),
        request: Some(request),
        payments: Some(PaymentSummary { available: payments_available, request_debts: debts, request_paid }),
        gate: PaymentGate { missing },
    })
}
