//! Tariff services (ssr only): the table with its versions, and a new version of one case.
//!
//! Versions of a case never overlap and history is never rewritten: a new version starts after
//! the latest one and not in the past, and in the same transaction the previous open version
//! is closed the day before. Debts keep the amount they were created with (`debts.amount_cents`);
//! `payments::service::tariff` picks the version valid on a date.

use super::model::{case_key_of, parse_euro_cents, split_case_key, TariffCaseView, TariffVersion, TariffsOverview};
use crate::accounts::{CurrentUser, Role};
use crate::db::{new_id, now_utc, Db};
use crate::domain::dates::{date_text, parse_date};
use crate::domain::{FieldError, FieldRule};
use crate::error::internal;
use crate::error::AppError;
use crate::payments::model::FeeKind;
use crate::store::tariffs::Added;

/// The order of the cases in the tables of docs/domain.md §4.5.
const CASE_ORDER: [&str; 11] = [
    "PRIMO_ANNO",
    "ANNI_SUCCESSIVI",
    "FASCIA_FINO_30",
    "FASCIA_31_60",
    "FASCIA_61_90",
    "FASCIA_91_120",
    "FASCIA_OLTRE_120",
    "EVENTO_RES_FSC",
    "EVENTO_FAD",
    "EVENTO_RES_FSC_NON_SPONSORIZZATO",
    "EVENTO_FAD_NON_SPONSORIZZATO",
];

/// Every case with its versions (newest first) and the version valid on `today`.
pub async fn overview(db: &Db, today: time::Date) -> Result<TariffsOverview, AppError> {
    let today = date_text(today);
    let mut cases: Vec<TariffCaseView> = Vec::new();
    for row in crate::store::tariffs::all(db).await? {
        let (fee, class) = (row.fee_kind, row.provider_class);
        let key = case_key_of(fee, class, &row.case_key);
        let version = TariffVersion {
            id: row.id,
            amount_cents: row.amount_cents,
            valid_from: row.valid_from,
            valid_to: row.valid_to,
            created_by: row.created_by,
            created_at: row.created_at,
        };
        let position = match cases.iter().position(|c| c.key == key) {
            Some(i) => i,
            None => {
                // Rows come newest first: the first row of a case gives its description.
                cases.push(TariffCaseView {
                    key,
                    fee_kind: fee,
                    provider_class: class,
                    case_key: row.case_key,
                    description: row.description,
                    current: None,
                    versions: Vec::new(),
                });
                cases.len() - 1
            }
        };
        let case = &mut cases[position];
        let valid_today =
            version.valid_from <= today && version.valid_to.as_deref().is_none_or(|to| to >= today.as_str());
        if valid_today && case.current.is_none() {
            case.current = Some(case.versions.len());
        }
        case.versions.push(version);
    }
    let rank = |c: &TariffCaseView| {
        let fee = if c.fee_kind == FeeKind::QuotaAnnuale { 0 } else { 1 };
        let case = CASE_ORDER.iter().position(|k| *k == c.case_key).unwrap_or(CASE_ORDER.len());
        (fee, c.provider_class.as_db(), case)
    };
    cases.sort_by_key(rank);
    Ok(TariffsOverview { today, cases })
}

/// One case (by its key `FEE-CLASS-CASE`) with its versions.
pub async fn case_view(db: &Db, key: &str, today: time::Date) -> Result<TariffCaseView, AppError> {
    split_case_key(key).ok_or(AppError::NotFound)?;
    overview(db, today).await?.cases.into_iter().find(|c| c.key == key).ok_or(AppError::NotFound)
}

/// Checks the "Nuova tariffa" form: every bad field is reported at once.
fn check_form(amount: &str, valid_from: &str, today: time::Date) -> Result<(i64, time::Date), AppError> {
    let amount = parse_euro_cents(amount).map_err(|rule| FieldError::new("amount", rule));
    let from = match valid_from.trim() {
        "" => Err(FieldError::new("valid_from", FieldRule::Required)),
        text => match parse_date(text) {
            None => Err(FieldError::new("valid_from", FieldRule::DateFormat)),
            Some(date) if date < today => Err(FieldError::new("valid_from", FieldRule::DateInPast)),
            Some(date) => Ok(date),
        },
    };
    match (amount, from) {
        (Ok(amount), Ok(from)) => Ok((amount, from)),
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(AppError::Invalid(e)),
        (Err(a), Err(b)) => Err(AppError::InvalidForm(vec![a, b])),
    }
}

/// A new version of a case: `amount` in euro as typed, valid from `valid_from` (YYYY-MM-DD, not
/// before `today`, after the latest version's start). The previous open version is closed the
/// day before, in the same transaction. Segreteria only.
pub async fn add_version(
    db: &Db,
    actor: &CurrentUser,
    key: &str,
    amount: &str,
    valid_from: &str,
    today: time::Date,
) -> Result<TariffVersion, AppError> {
    if actor.role != Role::Segreteria {
        return Err(AppError::Forbidden);
    }
    let (fee, class, case_key) = split_case_key(key).ok_or(AppError::NotFound)?;
    let (amount_cents, from) = check_form(amount, valid_from, today)?;
    let from_text = date_text(from);
    let closing = date_text(from.previous_day().ok_or_else(|| internal("date out of range"))?);
    let not_after_latest = || AppError::Invalid(FieldError::new("valid_from", FieldRule::DateNotAfterLatest));

    let id = new_id();
    let now = now_utc();
    let new = crate::store::tariffs::NewVersion {
        id: &id,
        fee_kind: fee,
        provider_class: class,
        case_key: &case_key,
        amount_cents,
        valid_from: &from_text,
        closing: &closing,
        created_by: &actor.id,
        created_at: &now,
    };
    let previous = match crate::store::tariffs::add_version(db, &new).await? {
        Added::Added { previous_id } => previous_id,
        Added::NotAfterLatest => return Err(not_after_latest()),
        Added::UnknownCase => return Err(AppError::NotFound),
    };
    tracing::info!(tariff_id = %id, previous_id = %previous, case = key, amount_cents, valid_from = %from_text, user_id = %actor.id,
        "tariff version created");
    Ok(TariffVersion {
        id,
        amount_cents,
        valid_from: from_text,
        valid_to: None,
        created_by: actor.display_name.clone(),
        created_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_reports_every_bad_field_and_refuses_the_past() {
        let today = time::macros::date!(2026 - 11 - 27);
        assert_eq!(check_form("258,22", "2026-11-27", today), Ok((25822, today)));
        assert_eq!(check_form("0", "2027-01-01", today), Ok((0, time::macros::date!(2027 - 01 - 01))));
        let past = check_form("258,22", "2026-11-26", today).unwrap_err();
        assert_eq!(
            past.field_message("valid_from"),
            Some(FieldError::new("valid_from", FieldRule::DateInPast).message_it())
        );
        assert_eq!(check_form("1", "01/12/2026", today), Ok((100, time::macros::date!(2026 - 12 - 01))));
        let both = check_form("-1", "2026-02-30", today).unwrap_err();
        assert!(both.field_message("amount").is_some_and(|m| m.contains("negativo")), "{both:?}");
        assert!(both.field_message("valid_from").is_some_and(|m| m.contains("data valida")), "{both:?}");
        assert!(check_form("1", "", today)
            .unwrap_err()
            .field_message("valid_from")
            .is_some_and(|m| m.contains("obbligatorio")));
    }
}
