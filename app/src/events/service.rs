//! Training plan services: declared events with their per-event debt, later-year annual fees
//! and the gate that keeps events out until this year's fee is verified as paid. Plain async
//! functions with explicit dependencies (database, actor, `today`), testable with any date.
//!
//! Idempotency comes from unique indexes, not from reading first: one debt per event
//! (`debts_event`), one annual debt per provider and year (`debts_provider_fee_year`), one event
//! per form shown (`events.declaration_key`); inserts use `ON CONFLICT … DO NOTHING`, so
//! concurrent calls create each row once on both backends.

use super::fees::{
    annual_due_date, annual_tariff_case, annual_tariff_date, causale_evento, event_due_date, event_tariff_case,
    event_tariff_date,
};
use super::model::{CalendarDate, EventView, PlanAccess, TrainingPlan, ValidEvent};
use crate::accounts::CurrentUser;
use crate::db::{new_id, now_utc, Db};
use crate::domain::{FieldError, FieldRule};
use crate::error::internal;
use crate::error::AppError;
use crate::payments::model::{causale_quota_annuale, DebtState, DebtView, FeeKind};
use crate::payments::service::{debt_view, tariff};
use crate::providers::model::ProviderView;

/// The calendar date of `today` as the fee rules use it.
pub fn calendar_date(today: time::Date) -> CalendarDate {
    CalendarDate::new(today.year(), u8::from(today.month()), today.day()).unwrap_or_else(|| {
        // Outside 2000–2099 only in a broken clock; keep going with the nearest valid year.
        let year = today.year().clamp(*CalendarDate::YEARS.start(), *CalendarDate::YEARS.end());
        CalendarDate::new(year, 1, 1).expect("1 January is a date")
    })
}

/// The year the provider was first accredited, when one of its requests is ACCREDITATO now.
pub async fn accreditation_year(db: &Db, provider_id: &str) -> Result<Option<i32>, AppError> {
    let first = crate::store::requests::first_accredited_at(db, provider_id).await?;
    first
        .map(|at| {
            at.get(0..4).and_then(|y| y.parse::<i32>().ok()).ok_or_else(|| internal(format!("bad history time {at}")))
        })
        .transpose()
}

/// How many of the provider's events started in `year`.
pub async fn events_started_in(db: &Db, provider_id: &str, year: i32) -> Result<u32, AppError> {
    let (from, to) = (format!("{year:04}-01-01"), format!("{year:04}-12-31"));
    let count = crate::store::events::count_started_between(db, provider_id, &from, &to).await?;
    u32::try_from(count).map_err(internal)
}

/// Creates the later-year annual debts of an accredited provider (idempotent): for a provider
/// first accredited in Y0, every year Y0 < Y ≤ `today`'s year gets one QUOTA_ANNUALE debt with
/// reference year Y, from the tariff valid on 1 January Y. Gruppo B pays ANNI_SUCCESSIVI by
/// 31 March; Gruppo A the band of its events that started in Y−1, by 31 July (the band is
/// fixed when the debt is created). A zero tariff creates no debt. Returns the years created.
pub async fn ensure_annual_debts(db: &Db, provider: &ProviderView, today: time::Date) -> Result<Vec<i32>, AppError> {
    let Some(first_year) = accreditation_year(db, &provider.id).await? else {
        return Ok(vec![]);
    };
    let mut created = Vec::new();
    for year in (first_year + 1)..=today.year() {
        if crate::store::debts::has_annual_quota(db, &provider.id, year).await? {
            continue;
        }
        let events = events_started_in(db, &provider.id, year - 1).await?;
        let case = annual_tariff_case(provider.provider_class, events);
        let Some((tariff_id, cents)) =
            tariff(db, FeeKind::QuotaAnnuale, provider.provider_class, case, &annual_tariff_date(year)).await?
        else {
            tracing::warn!(provider_id = %provider.id, year, case = case.as_db(), "no annual tariff valid on 1 January: no debt created");
            continue;
        };
        if cents == 0 {
            continue;
        }
        let causale = causale_quota_annuale(year);
        let due = annual_due_date(provider.provider_class, year);
        let debt = crate::store::debts::NewDebt {
            provider_id: &provider.id,
            request_id: None,
            event_id: None,
            fee_kind: FeeKind::QuotaAnnuale,
            tariff_id: Some(&tariff_id),
            causale: &causale,
            amount_cents: cents,
            due_date: Some(&due),
            reference_year: Some(year),
        };
        let mut tx = crate::store::begin_write(db).await?;
        let reason = format!("quota annuale {year} ({}, {})", provider.provider_class.label_it(), case.as_db());
        let inserted = u8::from(crate::store::debts::insert(&mut tx, &debt, "system", &reason).await?.is_some());
        tx.commit().await.map_err(crate::store::StoreError::from)?;
        if inserted == 1 {
            tracing::info!(provider_id = %provider.id, year, cents, case = case.as_db(), "annual fee debt created");
            created.push(year);
        }
    }
    Ok(created)
}

/// The daily pass: [`ensure_annual_debts`] for every accredited provider. A failure for one
/// provider is logged and does not stop the others. Returns the number of debts created.
pub async fn ensure_all_annual_debts(db: &Db, today: time::Date) -> Result<usize, AppError> {
    let ids = crate::store::requests::accredited_providers(db).await?;
    let mut created = 0;
    for id in ids {
        let Some(provider) = crate::providers::service::provider_by_id(db, &id).await? else {
            continue;
        };
        match ensure_annual_debts(db, &provider, today).await {
            Ok(years) => created += years.len(),
            Err(error) => tracing::warn!(provider_id = %id, ?error, "annual fee debts not created"),
        }
    }
    Ok(created)
}

/// The later-year annual debts of a provider, newest year first.
pub async fn annual_fees(db: &Db, provider_id: &str) -> Result<Vec<(i32, DebtView)>, AppError> {
    crate::store::debts::annual_quotas(db, provider_id)
        .await?
        .iter()
        .map(|debt| Ok((debt.reference_year.ok_or_else(|| internal("annual debt without year"))?, debt_view(debt))))
        .collect()
}

/// May the provider enter events on `today`? Only when accredited, and in a later year only
/// once that year's annual fee is verified PAGATO (or annulled by the Segreteria, or nothing
/// is due). Call [`ensure_annual_debts`] first so this year's debt exists.
pub async fn plan_access(db: &Db, provider: &ProviderView, today: time::Date) -> Result<PlanAccess, AppError> {
    let Some(first_year) = accreditation_year(db, &provider.id).await? else {
        return Ok(PlanAccess::NotAccredited);
    };
    let year = today.year();
    if year <= first_year {
        return Ok(PlanAccess::Open);
    }
    let this_year = annual_fees(db, &provider.id).await?.into_iter().find(|(y, _)| *y == year);
    Ok(match this_year {
        Some((year, debt)) if matches!(debt.state, DebtState::DaPagare | DebtState::InCorso) => {
            PlanAccess::AnnualFeeUnpaid { year, debt }
        }
        _ => PlanAccess::Open,
    })
}

/// Every event of the provider with its debt, newest start first.
pub async fn list_events(db: &Db, provider_id: &str) -> Result<Vec<EventView>, AppError> {
    Ok(crate::store::events::of_provider(db, provider_id).await?)
}

/// The training plan page: the gate, the events, the annual fees. Reading only: the annual
/// fees fall due by the daily pass (`ensure_all_annual_debts`) and before a declaration.
pub async fn training_plan(db: &Db, provider: &ProviderView, today: time::Date) -> Result<TrainingPlan, AppError> {
    Ok(TrainingPlan {
        provider_class: provider.provider_class,
        accredited_year: accreditation_year(db, &provider.id).await?,
        access: plan_access(db, provider, today).await?,
        events: list_events(db, &provider.id).await?,
        annual_fees: annual_fees(db, &provider.id).await?,
        declaration_key: new_id(),
    })
}

fn valid_key(key: &str) -> bool {
    (16..=64).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Declares an event and, when its contribution is not zero, creates its debt (one
/// transaction). The contribution comes from the tariff valid on the start date for the
/// provider's class; the debt is due 90 days after the end. A replay of `key` returns the event
/// it created and creates nothing.
pub async fn declare_event(
    db: &Db,
    actor: &CurrentUser,
    provider: &ProviderView,
    key: &str,
    event: &ValidEvent,
    today: time::Date,
) -> Result<String, AppError> {
    if !valid_key(key) {
        return Err(FieldError::new("declaration_key", FieldRule::Required).into());
    }
    ensure_annual_debts(db, provider, today).await?;
    match plan_access(db, provider, today).await? {
        PlanAccess::NotAccredited => return Err(AppError::NotAccredited),
        PlanAccess::AnnualFeeUnpaid { year, .. } => return Err(AppError::AnnualFeeNotPaid(year)),
        PlanAccess::Open => {}
    }
    let case = event_tariff_case(event.procedure, event.sponsored);
    let Some((tariff_id, cents)) =
        tariff(db, FeeKind::ContributoEvento, provider.provider_class, case, &event_tariff_date(event.start)).await?
    else {
        return Err(FieldError::new("data_inizio", FieldRule::EventNoTariff).into());
    };
    let id = new_id();
    let now = now_utc();
    let mut tx = crate::store::begin_write(db).await?;
    let (start, end) = (event.start.iso(), event.end.iso());
    let new = crate::store::events::NewEvent {
        id: &id,
        provider_id: &provider.id,
        declaration_key: key,
        title: &event.title,
        procedure: event.procedure,
        start_date: &start,
        end_date: &end,
        sponsored: event.sponsored,
        provider_class: provider.provider_class.as_db(),
        tariff_id: &tariff_id,
        fee_cents: cents,
        created_by: &actor.id,
        created_at: &now,
    };
    if !crate::store::events::insert(&mut tx, &new).await? {
        tx.rollback().await.map_err(internal)?;
        let (id, owner) = crate::store::events::by_declaration_key(db, key).await?;
        if owner != provider.id {
            return Err(AppError::Forbidden);
        }
        return Ok(id);
    }
    if cents > 0 {
        let causale = causale_evento(&event.title, event.procedure, &id);
        let due = event_due_date(event.end);
        let debt = crate::store::debts::NewDebt {
            provider_id: &provider.id,
            request_id: None,
            event_id: Some(&id),
            fee_kind: FeeKind::ContributoEvento,
            tariff_id: Some(&tariff_id),
            causale: &causale,
            amount_cents: cents,
            due_date: Some(&due),
            reference_year: None,
        };
        crate::store::debts::insert(&mut tx, &debt, &actor.id, "evento dichiarato nel piano formativo").await?;
    }
    tx.commit().await.map_err(internal)?;
    tracing::info!(event_id = %id, provider_id = %provider.id, cents, case = case.as_db(), "event declared");
    Ok(id)
}
