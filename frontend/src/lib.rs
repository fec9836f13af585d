//! Browser entry point: hydrates the server-rendered page, then marks `<body data-hydrated>` so
//! browser tests (and people reading the DOM) can tell when the interactive parts are live.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    if let Some(body) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.body())
    {
        let _ = body.set_attribute("data-hydrated", "");
    }
}
