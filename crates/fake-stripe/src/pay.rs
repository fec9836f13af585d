//! The hosted payment page a buyer is redirected to: `GET /pay/{id}` shows the amount and line
//! items with "Pay" and "Cancel" buttons. Pay completes the session, delivers the signed
//! `checkout.session.completed` webhook (waiting for the shop's answer, bounded by the delivery
//! timeout) and redirects to the success URL; Cancel redirects to the cancel URL and leaves the
//! session open, as Stripe does. Plain forms, no JavaScript, so it works in any browser test.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use crate::model::{Session, SessionStatus};
use crate::store::{ControlError, Shared};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/pay/{id}", get(page))
        .route("/pay/{id}/complete", post(complete))
        .route("/pay/{id}/cancel", post(cancel))
        .with_state(shared)
}

async fn page(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match shared.session(&id) {
        None => not_found(),
        Some(session) => Html(render(&session)).into_response(),
    }
}

async fn complete(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match shared.pay(&id).await {
        Ok(outcome) => see_other(&outcome.redirect),
        Err(ControlError::NotOpen { status, .. }) => message_page(
            StatusCode::CONFLICT,
            "This payment can no longer be made",
            &format!("The Checkout Session is {status}."),
        ),
        Err(_) => not_found(),
    }
}

async fn cancel(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match shared.session(&id) {
        None => not_found(),
        Some(session) => match &session.cancel_url {
            Some(url) => see_other(url),
            None => message_page(
                StatusCode::OK,
                "Payment cancelled",
                "The shop gave no page to return to; you may close this tab.",
            ),
        },
    }
}

fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_owned())],
    )
        .into_response()
}

fn not_found() -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        "Payment page not found",
        "There is no Checkout Session with this id.",
    )
}

fn message_page(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!("<h1>{}</h1><p>{}</p>", escape(title), escape(text));
    (status, Html(layout(title, &body))).into_response()
}

fn render(session: &Session) -> String {
    let mut rows = String::new();
    for item in &session.line_items {
        rows.push_str(&format!(
            "<tr><td>{}{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&item.name),
            item.description
                .as_deref()
                .map(|d| format!("<div class=\"muted\">{}</div>", escape(d)))
                .unwrap_or_default(),
            item.quantity,
            money(item.unit_amount, &item.currency),
            money(item.amount(), &item.currency),
        ));
    }
    let total = money(session.amount_total(), &session.currency);
    let email = session
        .customer_email
        .as_deref()
        .map(|e| format!("<p class=\"muted\">Paying as {}</p>", escape(e)))
        .unwrap_or_default();
    let actions = match session.status {
        SessionStatus::Open => format!(
            "<div class=\"actions\">\
<form method=\"post\" action=\"/pay/{id}/complete\"><button type=\"submit\" class=\"pay\">Pay</button></form>\
<form method=\"post\" action=\"/pay/{id}/cancel\"><button type=\"submit\" class=\"cancel\">Cancel</button></form>\
</div>",
            id = escape(&session.id)
        ),
        other => format!(
            "<p class=\"status\">This Checkout Session is {}.</p>",
            other.as_str()
        ),
    };
    let body = format!(
        "<p class=\"brand\">fake-stripe · test mode</p>\
<h1>Pay {total}</h1>{email}\
<table><thead><tr><th>Item</th><th class=\"num\">Qty</th><th class=\"num\">Unit price</th><th class=\"num\">Amount</th></tr></thead>\
<tbody>{rows}</tbody>\
<tfoot><tr><th colspan=\"3\">Total</th><th class=\"num\" id=\"total\">{total}</th></tr></tfoot></table>\
{actions}"
    );
    layout(&format!("Pay {total}"), &body)
}

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{} – fake-stripe</title><style>{STYLE}</style></head>\
<body><main>{body}</main></body></html>",
        escape(title)
    )
}

const STYLE: &str = "\
body{margin:0;background:#f6f8fa;font:16px/1.5 system-ui,sans-serif;color:#1a1f36}\
main{max-width:34rem;margin:3rem auto;background:#fff;border-radius:12px;padding:2rem;\
box-shadow:0 2px 12px rgba(0,0,0,.08)}\
.brand{color:#635bff;font-weight:600;margin:0 0 .5rem}h1{margin:.2rem 0 1rem;font-size:1.7rem}\
table{width:100%;border-collapse:collapse;margin:1rem 0}th,td{padding:.45rem .3rem;\
border-bottom:1px solid #e3e8ee;text-align:left;vertical-align:top}.num{text-align:right}\
tfoot th{border-bottom:none;font-size:1.1rem}.muted{color:#697386;font-size:.9rem}\
.actions{display:flex;gap:.75rem;margin-top:1.5rem}.actions form{flex:1}\
button{width:100%;padding:.8rem;border-radius:8px;font-size:1rem;cursor:pointer;border:1px solid #c1c9d2}\
.pay{background:#635bff;color:#fff;border-color:#635bff}.cancel{background:#fff;color:#1a1f36}\
.status{font-weight:600}";

/// Currencies Stripe counts in whole units (no minor unit).
const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

/// Formats minor units for display, e.g. `1250, "eur"` → `12.50 EUR`.
pub(crate) fn money(amount: i64, currency: &str) -> String {
    let code = currency.to_ascii_uppercase();
    if ZERO_DECIMAL.contains(&currency) {
        format!("{amount} {code}")
    } else {
        let sign = if amount < 0 { "-" } else { "" };
        let abs = amount.unsigned_abs();
        format!("{sign}{}.{:02} {code}", abs / 100, abs % 100)
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_uses_minor_units_except_for_zero_decimal_currencies() {
        assert_eq!(money(1250, "eur"), "12.50 EUR");
        assert_eq!(money(5, "usd"), "0.05 USD");
        assert_eq!(money(500, "jpy"), "500 JPY");
    }

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            escape("<b a=\"1\">&'"),
            "&lt;b a=&quot;1&quot;&gt;&amp;&#39;"
        );
    }
}
