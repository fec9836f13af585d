//! Atelier's pages, components and server functions. One folder per feature; server-only code sits
//! behind the `ssr` feature, the browser build uses `hydrate`.

pub mod account;
pub mod address;
pub mod admin;
pub mod browser;
pub mod cart;
pub mod catalogue;
pub mod checkout;
pub mod components;
pub mod error;
pub mod help;
pub mod limits;
pub mod money;
pub mod orders;
pub mod saved;
pub mod time;

#[cfg(feature = "ssr")]
pub mod client;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod rate_limit;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod stock;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, Link, Meta, MetaTags, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use account::{AccountPage, LoginPage, RegisterPage};
use admin::{
    AdminAuditPage, AdminCataloguePage, AdminCatalogueProductPage, AdminHomePage, AdminOrderPage,
    AdminOrdersPage, AdminProductsPage, AdminRuleFormsPage, AdminRulesPage, AdminStockPage,
};
use cart::CartPage;
use catalogue::{HomePage, ProductPage};
use checkout::CheckoutPage;
use help::{
    AdminCallsPage, AdminHelpArticlePage, AdminHelpPage, CallConfirmationPage, HelpArticlePage,
    HelpHomePage, HelpSearchPage,
};
use orders::{LookupPage, OrderPage};
use saved::{ComparePage, SavedPage};

/// The HTML document around the app. On the server it also sets the page's Content-Security-Policy
/// with a fresh nonce that the hydration scripts carry.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    csp::provide();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <HashedStylesheet id="leptos" options=options.clone() />
                {islands_on_page().then(|| view! { <HydrationScripts options islands=true /> })}
                <MetaTags />
                // The help search answers as one types (see public/help-search.js); it loads its
                // wasm only when the search box is used.
                <script type="module" src="/help-search.js"></script>
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Whether the page being rendered has islands (interactive parts that run as wasm). Pages
/// without any load no wasm at all: the browser gets their HTML and CSS and nothing else.
fn islands_on_page() -> bool {
    #[cfg(feature = "ssr")]
    {
        let path = use_context::<http::request::Parts>()
            .map(|parts| parts.uri.path().to_owned())
            .unwrap_or_default();
        // The product form, and the console's rule editor and rule forms (their live checks).
        let interactive = path.starts_with("/products/")
            || (path.starts_with("/admin/products/")
                && (path.ends_with("/rules") || path.ends_with("/rules/edit")));
        if !interactive && let Some(context) = Owner::current_shared_context() {
            // Nothing will hydrate, so no resource data needs to travel with the HTML.
            context.set_is_hydrating(false);
        }
        interactive
    }
    #[cfg(not(feature = "ssr"))]
    false
}

#[cfg(feature = "ssr")]
mod csp {
    use leptos::nonce::{provide_nonce, use_nonce};
    use leptos::prelude::*;

    /// Scripts only from us or with this response's nonce; wasm may be compiled; nothing may
    /// frame us; forms may post only to us and to the payment page we redirect to.
    pub fn provide() {
        provide_nonce();
        let nonce = use_nonce().map(|n| n.to_string()).unwrap_or_default();
        let payment_origin = use_context::<crate::state::AppState>()
            .and_then(|state| state.settings.stripe.as_ref().map(|s| s.checkout_origin()))
            .unwrap_or_default();
        let policy = format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; \
             form-action 'self' {payment_origin}; frame-ancestors 'none'"
        );
        if let (Some(response), Ok(value)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::HeaderValue::from_str(&policy),
        ) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml" />
        <Meta name="description" content="Atelier — configurable products made to order." />
        <Title text="Atelier" />
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Header />
            <main id="main">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/products/:slug") view=ProductPage ssr=SsrMode::Async />
                    <Route path=path!("/c/:id") view=SavedPage ssr=SsrMode::Async />
                    <Route path=path!("/compare") view=ComparePage ssr=SsrMode::Async />
                    <Route path=path!("/cart") view=CartPage ssr=SsrMode::Async />
                    <Route path=path!("/checkout") view=CheckoutPage ssr=SsrMode::Async />
                    <Route path=path!("/orders/lookup") view=LookupPage ssr=SsrMode::Async />
                    <Route path=path!("/orders/:number") view=OrderPage ssr=SsrMode::Async />
                    <Route path=path!("/help") view=HelpHomePage ssr=SsrMode::Async />
                    <Route path=path!("/help/search") view=HelpSearchPage ssr=SsrMode::Async />
                    <Route path=path!("/help/call/:id") view=CallConfirmationPage ssr=SsrMode::Async />
                    <Route path=path!("/help/:slug") view=HelpArticlePage ssr=SsrMode::Async />
                    <Route path=path!("/register") view=RegisterPage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=AdminHomePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/orders") view=AdminOrdersPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/orders/:number") view=AdminOrderPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/catalogue") view=AdminCataloguePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/catalogue/:slug") view=AdminCatalogueProductPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/products") view=AdminProductsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/products/:slug/rules") view=AdminRulesPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/products/:slug/rules/edit") view=AdminRuleFormsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/calls") view=AdminCallsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/help") view=AdminHelpPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/help/article") view=AdminHelpArticlePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/audit") view=AdminAuditPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/stock") view=AdminStockPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <footer class="site-footer">
                <p>"Atelier — made to order. "<a href="/orders/lookup">"Find your order"</a></p>
            </footer>
        </Router>
    }
}

/// The site header. It holds no data of its own: each page loads what it shows under one
/// `Suspense`, because leptos 0.8.23 can stall a server render when several suspense boundaries
/// resolve in parallel (fixed upstream after that release).
#[component]
fn Header() -> impl IntoView {
    view! {
        <header class="site-header">
            <A href="/" attr:class="brand">"Atelier"</A>
            <help::page::HelpSearchForm />
            <nav aria-label="Main">
                <A href="/help">"Help"</A>
                <A href="/orders/lookup">"Find your order"</A>
                <A href="/cart" attr:class="cart-link">"Cart"</A>
                <A href="/account">"Account"</A>
            </nav>
        </header>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found — Atelier" />
        <section class="panel narrow not-found">
            <h1>"Page not found"</h1>
            <p>"We could not find that page. It may have moved, or the link may be mistyped."</p>
            <p><a class="button primary" href="/">"Back to the catalogue"</a></p>
        </section>
    }
}
