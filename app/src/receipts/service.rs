//! The readable receipt of a paid debt (ssr only): the ledger's facts put into a
//! [`ReceiptDoc`] and rendered by [`super::pdf::receipt_pdf`], whatever the channel.

use super::model::{ReceiptChannel, ReceiptDoc, BENEFICIARY_CF, BENEFICIARY_NAME};
use crate::accounts::{CurrentUser, Role};
use crate::db::Db;
use crate::domain::dates::{date_text, today};
use crate::error::AppError;
use crate::payments::model::{DebtState, PaidChannel};
use crate::store;

/// The receipt of a PAGATO debt as a PDF (file name and bytes), for the provider's owner and
/// the Segreteria. A debt not paid, or someone else's, is "not found".
pub async fn receipt_pdf(db: &Db, user: &CurrentUser, debt_id: &str) -> Result<(String, Vec<u8>), AppError> {
    let debt = store::debts::by_id(db, debt_id).await?.ok_or(AppError::NotFound)?;
    if user.role != Role::Segreteria
        && store::providers::owner(db, &debt.provider_id).await?.as_deref() != Some(user.id.as_str())
    {
        tracing::warn!(user_id = %user.id, debt_id, "receipt refused: not the owner");
        return Err(AppError::NotFound);
    }
    if debt.state != DebtState::Pagato {
        return Err(AppError::NotFound);
    }
    let provider = store::providers::by_id(db, &debt.provider_id).await?.ok_or(AppError::NotFound)?;
    let channel = match (debt.paid_channel, debt.paid_quietanza_id.as_deref()) {
        (Some(PaidChannel::Quietanza), Some(id)) => {
            let q = store::quietanze::by_id(db, id)
                .await?
                .ok_or_else(|| crate::error::internal("paid debt without its quietanza"))?;
            ReceiptChannel::Quietanza { cro_trn: q.cro_trn, paying_body: q.paying_body, value_date: q.value_date }
        }
        _ => ReceiptChannel::PagoPa,
    };
    let psp = match debt.paid_attempt_id.as_deref() {
        Some(attempt) => store::attempts::psp(db, attempt).await?,
        None => None,
    };
    let partita_iva = provider.form.partita_iva.trim();
    let doc = ReceiptDoc {
        payer_name: provider.form.denominazione.clone(),
        payer_fiscal_code: if partita_iva.is_empty() {
            provider.form.codice_fiscale.clone()
        } else {
            partita_iva.to_string()
        },
        beneficiary_name: BENEFICIARY_NAME.to_string(),
        beneficiary_fiscal_code: BENEFICIARY_CF.to_string(),
        causale: debt.causale.clone(),
        amount_cents: debt.amount_cents,
        iuv: debt.iuv.clone(),
        iur: debt.iur.clone(),
        paid_on: debt.paid_at.as_deref().and_then(|d| d.get(0..10)).unwrap_or_default().to_string(),
        channel,
        psp,
        debt_id: debt.id.clone(),
        issued_at: date_text(today()),
    };
    let name = format!("ricevuta-{}.pdf", debt.iuv.as_deref().unwrap_or(&debt.id));
    Ok((name, super::pdf::receipt_pdf(&doc)))
}
