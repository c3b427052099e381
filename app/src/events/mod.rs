//! Training plan (piano formativo): the events an accredited provider declares, the
//! per-event contribution (`fees`: which tariff row and version, due dates, causali) and the
//! later-year annual fees, with the gate that keeps a later year's events out until its
//! annual fee is verified as paid.

pub mod api;
pub mod fees;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;
