//! What the islands ask of the browser itself, shared so each does it the same way.

/// A GET of `url` that answered 2xx, or `None` (no network, an error status): islands then
/// leave the page as the server rendered it.
#[cfg(feature = "hydrate")]
pub async fn fetch_ok(url: &str) -> Option<web_sys::Response> {
    use wasm_bindgen::JsCast;
    let response: web_sys::Response =
        wasm_bindgen_futures::JsFuture::from(leptos::prelude::window().fetch_with_str(url))
            .await
            .ok()?
            .dyn_into()
            .ok()?;
    response.ok().then_some(response)
}
