//! The admin knobs of imported debts (test knobs, not MyPay features): "paid at a PSP", failing
//! IUV generation, the list of debts.

use super::*;

impl Engine {
    // ---- admin ------------------------------------------------------------------------------------

    /// `POST /admin/avvisi/{iuv}/pay-at-psp`: the notice is paid at a pagoPA channel (modello 3).
    /// pagoPA's checks of `paVerifyPaymentNotice`/`paGetPayment` come first (§2.2); then
    /// `paSendRT` stores a `ctReceipt` and a synthetic cart without idSession.
    pub fn pay_at_psp(&self, iuv: &str) -> Result<PspPayment, (u16, String)> {
        let mut state = self.lock();
        self.settle(&mut state);
        let now = Self::now(&state);
        let rows = &state.avvisi.rows;
        let Some(index) = rows.iter().position(|r| r.is_open() && r.iuv.as_deref() == Some(iuv)) else {
            let with_iuv =
                |pred: fn(&RowState) -> bool| rows.iter().any(|r| r.iuv.as_deref() == Some(iuv) && pred(&r.state));
            return Err(if with_iuv(|s| matches!(s, RowState::Paid(_))) {
                (409, "PAA_PAGAMENTO_DUPLICATO".into())
            } else if with_iuv(|s| matches!(s, RowState::Cancelled)) {
                (409, "PAA_PAGAMENTO_ANNULLATO".into())
            } else {
                (404, "PAA_PAGAMENTO_SCONOSCIUTO".into())
            });
        };
        if rows[index].online().is_some() {
            return Err((409, "PAA_PAGAMENTO_IN_CORSO".into()));
        }
        if self.expired(&rows[index], now.date()) {
            return Err((409, "PAA_PAGAMENTO_SCADUTO".into()));
        }
        let row = &rows[index];
        let receipt_id = random_hex(32);
        let facts = ReceiptFacts {
            // A pagoPA receipt (ctReceipt) in both modes: paSendRT is the same (§6).
            legacy: false,
            outcome: EsitoPagamento::Paid,
            iuv: iuv.to_string(),
            receipt_id: receipt_id.clone(),
            request_id: receipt_id.clone(),
            at: now,
            ente_fiscal_code: self.config.ente.fiscal_code.clone(),
            ente_name: self.config.ente.name.clone(),
            payer: row.data.payer.clone(),
            debts: vec![row.sim_debt()],
        };
        let done =
            PspPayment { iuv: iuv.to_string(), iud: row.iud.clone(), receipt_id, amount: row.data.amount.to_string() };
        state.avvisi.rows[index].state = RowState::Paid(Completion::PagoPa(Box::new(facts)));
        Ok(done)
    }

    /// `POST /admin/avvisi/iuv-generator`: the next `n` IUV generations fail.
    pub fn fail_iuv_generation(&self, n: u32) {
        self.lock().avvisi.fail_iuv_generation = n;
    }

    /// `GET /admin/avvisi`: every imported debt row, oldest first.
    pub fn avvisi_views(&self) -> Vec<AvvisoView> {
        let mut state = self.lock();
        self.settle(&mut state);
        state
            .avvisi
            .rows
            .iter()
            .map(|r| AvvisoView {
                id: r.id,
                iud: r.iud.clone(),
                iuv: r.iuv.clone(),
                notice_number: r.iuv.as_deref().and_then(|i| self.notice_number(i)),
                state: match &r.state {
                    RowState::Open { online: None } => "open",
                    RowState::Open { online: Some(_) } => "in_payment",
                    RowState::Cancelled => "cancelled",
                    RowState::Paid(Completion::PagoPa(_)) => "paid_pagopa",
                    RowState::Paid(Completion::Rend9(_)) => "paid_rend9",
                },
                amount: r.data.amount.to_string(),
                causale: r.data.causale.clone(),
                url: r.is_open().then(|| self.notice_url(r)),
            })
            .collect()
    }
}
