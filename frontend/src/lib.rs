//! The browser entry point: hydrates the server-rendered page. Nothing else lives here.
// The whole app's view types are instantiated here; release builds (no type erasure) need
// a deeper limit than the default.
#![recursion_limit = "1024"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // `<html data-hydrated="true">`: the page is interactive. Tests and the page-weight script
    // (scripts/measure-weight.mjs) wait for it; a page that panicked while hydrating never gets it.
    if let Some(root) = leptos::prelude::document().document_element() {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}
