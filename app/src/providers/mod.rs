//! Provider organisations (censimento): the data of the training provider, which is also
//! the payer of its MyPay carts.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;
