//! Small pieces every page uses: error boxes, field messages, prices, and reading the error of a
//! form that was posted without JavaScript (the server put the error in the URL, and what was
//! typed in a short-lived HttpOnly cookie, so no personal data ever sits in a URL).

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::server_fn::error::ServerFnUrlError;
use leptos_router::hooks::use_query_map;

use crate::error::AppError;
use crate::money::format_price;

/// The error of the last submission of `action`: from the action itself when the page is
/// hydrated, else from the `__err` the server appended to the URL after a plain form post.
pub fn action_error<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let from_url = url_error(S::PATH);
    let draft = form_draft(S::PATH);
    // Rendered after a plain form post, the action already holds the error from the URL; the
    // values typed come from the draft cookie (an error from a hydrated call carries its own).
    let with_draft = move |mut error: AppError| {
        if let AppError::Validation { values, .. } | AppError::BadCredentials { values } =
            &mut error
            && values.is_empty()
        {
            values.extend(draft.clone());
        }
        error
    };
    Signal::derive(move || match action.value().get() {
        Some(result) => result.err().map(with_draft.clone()),
        None => from_url.get().map(with_draft.clone()),
    })
}

/// The first error among several forms' errors (only one form is posted at a time).
pub fn first_error(errors: Vec<Signal<Option<AppError>>>) -> Signal<Option<AppError>> {
    Signal::derive(move || errors.iter().find_map(|error| error.get()))
}

/// The name of the cookie that carries what was typed into a form posted without JavaScript
/// that came back with errors.
pub const FORM_DRAFT_COOKIE: &str = "atelier_form";

/// What a form posted without JavaScript had in it: the server function's path and the values.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FormDraft {
    pub path: String,
    pub values: BTreeMap<String, String>,
}

impl FormDraft {
    pub fn encode(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(text: &str) -> Option<FormDraft> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// The typed values of the form for `path`, read on the server from the draft cookie and handed
/// to the hydrating page with the HTML (the cookie is HttpOnly; the page never needs it later,
/// because a hydrated form keeps its own values).
fn form_draft(path: &'static str) -> BTreeMap<String, String> {
    SharedValue::new(move || {
        #[cfg(feature = "ssr")]
        {
            crate::session::request_cookie(FORM_DRAFT_COOKIE)
                .and_then(|text| FormDraft::decode(&text))
                .filter(|draft| draft.path == path)
                .map(|draft| draft.values)
                .unwrap_or_default()
        }
        #[cfg(not(feature = "ssr"))]
        {
            let _ = path;
            BTreeMap::new()
        }
    })
    .into_inner()
}

/// The error a plain form post to the server function at `path` left in the URL, without the
/// typed values (those come from the draft cookie; see `action_error`).
pub fn url_error(path: &'static str) -> Signal<Option<AppError>> {
    let query = use_query_map();
    Signal::derive(move || {
        let query = query.read();
        (query.get_str("__path") == Some(path))
            .then(|| {
                query
                    .get_str("__err")
                    .map(ServerFnUrlError::<AppError>::decode_err)
            })
            .flatten()
    })
}

/// A form-level message for an error (field errors are shown beside their fields as well).
#[component]
pub fn ErrorBox(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|error| {
            view! {
                <div class="notice notice-error" role="alert">
                    {error.to_string()}
                </div>
            }
        })
    }
}

/// The message for one field, linked to its input by `id` (for `aria-describedby`).
#[component]
pub fn FieldError(
    #[prop(into)] error: Signal<Option<AppError>>,
    name: &'static str,
    id: &'static str,
) -> impl IntoView {
    move || {
        error
            .get()
            .and_then(|e| e.field_message(name))
            .map(|message| {
                view! { <p class="field-error" id=id>{message}</p> }
            })
    }
}

/// What the buyer typed into `name` before a failed post, so nothing is lost.
pub fn typed(
    error: Signal<Option<AppError>>,
    name: &'static str,
) -> impl Fn() -> String + Send + Sync + Copy {
    move || {
        error
            .get()
            .and_then(|e| e.typed_value(name))
            .unwrap_or_default()
    }
}

#[component]
pub fn Price(amount: i64) -> impl IntoView {
    view! { <span class="price">{format_price(amount)}</span> }
}

/// Shown where a page's data could not be loaded. A missing product or order answers 404, so
/// search engines and scripts see what a person sees.
#[component]
pub fn LoadError(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let (AppError::NotFound(_), Some(response)) =
        (&error, use_context::<leptos_axum::ResponseOptions>())
    {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    let title = match error {
        AppError::NotFound(_) => "Not found",
        AppError::Unauthenticated => "Please log in",
        AppError::Forbidden => "Not allowed",
        _ => "Something went wrong",
    };
    let login = matches!(error, AppError::Unauthenticated);
    view! {
        <section class="panel">
            <h1>{title}</h1>
            <p role="alert">{error.to_string()}</p>
            {login.then(|| view! { <p><a class="button" href="/login">"Log in"</a></p> })}
        </section>
    }
}
