//! The browser entry point: hydrates the server-rendered page. Nothing else lives here.
// The whole app's view types are instantiated here; release builds (no type erasure) need
// a deeper limit than the default.
#![recursion_limit = "1024"]

/// Hydrates the page. Asynchronously: a page of the Segreteria's console lives in a wasm chunk
/// of its own (`lazy_page!` in app/src/lib.rs), fetched before its part of the page hydrates.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // An error only means the executor was already set up.
    _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        let owner = leptos::mount::hydrate_from_async(leptos::tachys::dom::body(), app::App).await;
        owner.forget();
        // `<html data-hydrated="true">`: the page is interactive. Tests and the page-weight script
        // (scripts/measure-weight.mjs) wait for it; a page that panicked while hydrating never
        // gets it.
        if let Some(root) = leptos::prelude::document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
}
