//! The Segreteria ECM console. Three queues over one [`queue`] component — the accreditation
//! requests (the console's home page), the payment attempts and the debts (dovuti) — each with
//! its detail page and actions. The tariff table the Segreteria edits is a concept of its own
//! (`crate::tariffs`), as are the ledger it reads (`crate::debts`) and the quietanze it decides
//! (`crate::quietanze`).
pub mod debts;
pub mod payments;
pub mod queue;
pub mod requests;
