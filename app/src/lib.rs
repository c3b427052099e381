//! The ECM portal's application: pages, server functions and domain types.
//!
//! Compiled twice: with `ssr` into the server (server functions run, pages render to HTML)
//! and with `hydrate` into the browser bundle (pages become interactive). One module per
//! domain concept: `accounts/`, `segreteria/`, ...; each has `model` (both targets),
//! `api` (server functions), `service` (ssr-only services), `http` (plain axum routes) and
//! `view` (components). CONTRIBUTING.md ("Layers") draws the tree.
#![recursion_limit = "1024"]

pub mod accounts;
pub mod auth;
pub mod codec;
#[cfg(feature = "ssr")]
pub mod db;
pub mod debts;
pub mod documents;
pub mod domain;
pub mod error;
pub mod events;
pub mod home;
pub mod layout;
pub mod mail;
pub mod payments;
pub mod providers;
pub mod quietanze;
pub mod receipts;
#[cfg(test)]
mod repo_checks;
pub mod requests;
pub mod segreteria;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod store;
pub mod tariffs;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{lazy_route, path, Lazy, LazyRoute, SsrMode};

use crate::accounts::view::{
    AccountPage, LoginPage, PasswordForgottenPage, RegisterPage, ResetPasswordPage, VerifyEmailPage,
};
use crate::auth::Auth;
use crate::debts::view::{MyStatementPage, ProviderStatementPage};
use crate::documents::view::DocumentsPage;
use crate::events::view::EventsPage;
use crate::home::view::{LandingPage, ProviderHomePage};
use crate::layout::view::{Footer, Header, NotFoundPage};
use crate::payments::view::{PaymentPage, PaymentsPage, ReturnPage};
use crate::providers::view::CensimentoPage;
use crate::quietanze::view::QuietanzaPaymentPage;
use crate::requests::view::DomandaPage;
use crate::segreteria::debts::view::{DebtDetailPage, DebtsPage};
use crate::segreteria::payments::view::{PaymentDetailPage, PaymentsConsolePage};
use crate::segreteria::requests::view::{RequestDetailPage, SegreteriaHomePage};
use crate::tariffs::view::{TariffCasePage, TariffsPage};

/// The HTML document around the app (rendered on the server only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="it">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="stylesheet" href=format!("/{}/ecm.css", options.site_pkg_dir)/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// A route whose page is compiled into a chunk of the wasm bundle of its own, loaded when the
/// route is first shown (`cargo leptos build --split`): the Segreteria's console is not part of
/// what a provider downloads (docs/BENCHMARKS.md, "First visit").
macro_rules! lazy_page {
    ($route:ident, $page:ident) => {
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page/> }.into_any()
            }
        }
    };
}

lazy_page!(SegreteriaHomeRoute, SegreteriaHomePage);
lazy_page!(RequestDetailRoute, RequestDetailPage);
lazy_page!(PaymentsConsoleRoute, PaymentsConsolePage);
lazy_page!(PaymentDetailRoute, PaymentDetailPage);
lazy_page!(TariffsRoute, TariffsPage);
lazy_page!(TariffCaseRoute, TariffCasePage);
lazy_page!(DebtsRoute, DebtsPage);
lazy_page!(DebtDetailRoute, DebtDetailPage);
lazy_page!(ProviderStatementRoute, ProviderStatementPage);

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    Auth::provide();
    view! {
        <Title text="Portale ECM — Regione del Veneto"/>
        <Router>
            <Header/>
            <main id="contenuto" class="container my-4" tabindex="-1">
                <Routes fallback=|| view! { <NotFoundPage/> }>
                    <Route path=path!("") view=LandingPage ssr=SsrMode::Async/>
                    <Route path=path!("/accedi") view=LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/registrazione") view=RegisterPage ssr=SsrMode::Async/>
                    <Route path=path!("/password-dimenticata") view=PasswordForgottenPage ssr=SsrMode::Async/>
                    <Route path=path!("/reimposta-password") view=ResetPasswordPage ssr=SsrMode::Async/>
                    <Route path=path!("/verifica-email") view=VerifyEmailPage ssr=SsrMode::Async/>
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async/>
                    <Route path=path!("/area") view=ProviderHomePage ssr=SsrMode::Async/>
                    <Route path=path!("/area/censimento") view=CensimentoPage ssr=SsrMode::Async/>
                    <Route path=path!("/area/domanda") view=DomandaPage ssr=SsrMode::Async/>
                    <Route path=path!("/area/documenti") view=DocumentsPage ssr=SsrMode::Async/>
                    <Route path=path!("/area/pagamento") view=PaymentPage ssr=SsrMode::Async/>
                    <Route path=path!("/area/pagamenti") view=PaymentsPage ssr=SsrMode::Async/>
                    <Route path=path!("/area/quietanza") view=QuietanzaPaymentPage ssr=SsrMode::Async/>
                    <Route path=path!("/area/eventi") view=EventsPage ssr=SsrMode::Async/>
                    <Route path=path!("/area/estratto-conto") view=MyStatementPage ssr=SsrMode::Async/>
                    <Route path=path!("/pagamenti/ritorno") view=ReturnPage ssr=SsrMode::Async/>
                    <Route path=path!("/segreteria") view={Lazy::<SegreteriaHomeRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/segreteria/domande/:id") view={Lazy::<RequestDetailRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/segreteria/pagamenti") view={Lazy::<PaymentsConsoleRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/segreteria/pagamenti/:id") view={Lazy::<PaymentDetailRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/segreteria/tariffe") view={Lazy::<TariffsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/segreteria/tariffe/:caso") view={Lazy::<TariffCaseRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/segreteria/dovuti") view={Lazy::<DebtsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/segreteria/dovuti/:id") view={Lazy::<DebtDetailRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/segreteria/provider/:id/estratto-conto") view={Lazy::<ProviderStatementRoute>::new()} ssr=SsrMode::Async/>
                </Routes>
            </main>
            <Footer/>
        </Router>
    }
}
