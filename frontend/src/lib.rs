//! Browser entry point. The app renders on the server as plain HTML; only its islands (the
//! product configurator) hydrate, so only their code ships as wasm. The loader script calls
//! `hydrate` and then hydrates each island; each island marks itself live when it is ready.

// The islands are exported by the app crate; linking it is what puts them in the bundle.
use app as _;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
