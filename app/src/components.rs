//! Small pieces every page uses: error boxes, field messages, prices, and reading the error of a
//! form that was posted without JavaScript (the server put it in the URL).

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
    let query = use_query_map();
    Signal::derive(move || {
        if let Some(result) = action.value().get() {
            return result.err();
        }
        let query = query.read();
        if query.get_str("__path") == Some(S::PATH) {
            query
                .get_str("__err")
                .map(ServerFnUrlError::<AppError>::decode_err)
        } else {
            None
        }
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

/// Shown where a page's data could not be loaded.
#[component]
pub fn LoadError(error: AppError) -> impl IntoView {
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
