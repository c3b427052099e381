//! The browser entry point: hydrates the server-rendered page. Nothing else lives here.
// The whole app's view types are instantiated here; release builds (no type erasure) need
// a deeper limit than the default.
#![recursion_limit = "1024"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
