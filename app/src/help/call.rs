//! "Call me": a buyer asks to be called back at a day and time window about a topic, from a help
//! page, a product page (the request carries the configuration they were looking at) or an
//! order page. Requests are rate-limited per client and get a confirmation page at an
//! unguessable address, which is also where a guest follows the status; a signed-in buyer sees
//! them in `/account`. Staff see the queue in the console, ordered by slot and then by what the
//! customer has ordered to date, claim a request (one claim wins, checked in the update itself)
//! and mark it done with a note.

// A form's fields are a server function's arguments, one each, so that the form posts
// without JavaScript.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The time windows a call can be booked in, as (value, label).
pub const WINDOWS: [(&str, &str); 3] = [
    ("09-12", "9:00–12:00"),
    ("12-15", "12:00–15:00"),
    ("15-18", "15:00–18:00"),
];

/// What the call is about, as (value, label).
pub const TOPICS: [(&str, &str); 6] = [
    ("configuration", "Choosing or configuring a product"),
    ("order", "An order I placed"),
    ("delivery", "Delivery and lead times"),
    ("payment", "Paying or an invoice"),
    ("returns", "A return or a fault"),
    ("other", "Something else"),
];

/// How many working days ahead a call can be booked.
pub const DAYS_AHEAD: i64 = 14;

pub fn window_label(value: &str) -> &str {
    WINDOWS
        .iter()
        .find(|(v, _)| *v == value)
        .map_or(value, |(_, label)| label)
}

pub fn topic_label(value: &str) -> &str {
    TOPICS
        .iter()
        .find(|(v, _)| *v == value)
        .map_or(value, |(_, label)| label)
}

/// A phone number as E.164 ("+493012345678"), from what people type: spaces, dots, dashes and
/// brackets are dropped and a leading "00" is the "+". A number without its country code is
/// refused, since the shop sells across countries.
pub fn e164(typed: &str) -> Result<String, String> {
    let compact: String = typed
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')' | '/' | '\u{a0}'))
        .collect();
    let digits = if let Some(rest) = compact.strip_prefix('+') {
        rest
    } else if let Some(rest) = compact.strip_prefix("00") {
        rest
    } else {
        return Err("Enter the number with its country code, such as +49 30 1234 5678.".to_owned());
    };
    if !digits.bytes().all(|b| b.is_ascii_digit())
        || !(8..=15).contains(&digits.len())
        || digits.starts_with('0')
    {
        return Err(
            "That is not a phone number we can call: use + and the country code, then 7 to 14 digits."
                .to_owned(),
        );
    }
    Ok(format!("+{digits}"))
}

/// The working days (Monday to Friday) a call can be booked on, from `today` (a day number).
pub fn bookable_days(today: i64) -> Vec<i64> {
    (0..DAYS_AHEAD * 2)
        .map(|n| today + n)
        .filter(|d| crate::time::weekday(*d) < 5)
        .take(DAYS_AHEAD as usize)
        .collect()
}

/// A request as its buyer (or the confirmation page) sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallView {
    pub id: String,
    pub day: String,
    pub time_window: String,
    pub topic: String,
    pub status: String,
    pub created_at: i64,
    pub product: Option<String>,
}

impl CallView {
    pub fn slot(&self) -> String {
        let day = crate::time::parse_day(&self.day)
            .map_or_else(|| self.day.clone(), crate::time::format_day);
        format!("{day}, {}", window_label(&self.time_window))
    }

    pub fn status_words(&self) -> &'static str {
        match self.status.as_str() {
            "waiting" => "Waiting for a member of staff",
            "claimed" => "A member of staff is on it",
            "done" => "Done",
            _ => "Unknown",
        }
    }
}

/// A request as staff see it in the queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueuedCall {
    pub id: String,
    pub name: String,
    pub phone: String,
    pub day: String,
    pub time_window: String,
    pub topic: String,
    pub page: String,
    pub product: Option<String>,
    /// The configuration's choices as the product page's query, e.g. "frame=steel&size=m".
    pub configuration: Option<String>,
    pub status: String,
    pub claimed_by: Option<String>,
    pub claimed_by_me: bool,
    pub note: String,
    /// Orders to date, and their total in minor units (0 for guests).
    pub orders: i64,
    pub orders_value: i64,
    pub created_at: i64,
}

#[cfg(feature = "ssr")]
pub mod ssr;

/// Asks for a call back. `page` is the path the form was on; on a product page `product` and
/// `configuration` (the choices as a query) say what the buyer was looking at.
#[server(endpoint = "request_call")]
pub async fn request_call(
    name: String,
    phone: String,
    day: String,
    time_window: String,
    topic: String,
    #[server(default)] page: String,
    #[server(default)] product: String,
    #[server(default)] configuration: String,
) -> Result<String, AppError> {
    let fields = [
        ("name", &name, 200),
        ("phone", &phone, 40),
        ("day", &day, 20),
        ("time_window", &time_window, 20),
        ("topic", &topic, 40),
        ("page", &page, 300),
        ("product", &product, 100),
        ("configuration", &configuration, 4 * 1024),
    ];
    for (field, value, max) in fields {
        crate::limits::check_len(field, value, max)?;
    }
    let session = crate::session::ensure().await?;
    let state = crate::state::app_state()?;
    crate::rate_limit::check_client(
        &state.pool,
        "callback:client",
        &crate::rate_limit::CALLBACK_PER_CLIENT,
    )
    .await?;
    let request = ssr::Request::read(
        &name,
        &phone,
        &day,
        &time_window,
        &topic,
        &page,
        &product,
        &configuration,
    )?;
    let id = ssr::create(&state, session.customer.as_ref(), &request).await?;
    leptos_axum::redirect(&format!("/help/call/{id}"));
    Ok(id)
}

/// A request by its unguessable id: the confirmation page.
#[server(endpoint = "call_request")]
pub async fn call_request(id: String) -> Result<CallView, AppError> {
    crate::limits::check_len("id", &id, 64)?;
    let state = crate::state::app_state()?;
    ssr::by_id(&state, &id).await
}

/// The signed-in buyer's requests, newest first.
#[server(endpoint = "my_calls")]
pub async fn my_calls() -> Result<Vec<CallView>, AppError> {
    let customer = crate::session::require_customer().await?;
    let state = crate::state::app_state()?;
    ssr::of_customer(&state, &customer.id).await
}

/// The queue: requests not done yet, by slot, then by the customer's orders to date.
#[server(endpoint = "admin_calls")]
pub async fn admin_calls() -> Result<Vec<QueuedCall>, AppError> {
    let staff = crate::session::require_merchandiser().await?;
    let state = crate::state::app_state()?;
    ssr::queue(&state, &staff).await
}

/// Claims a waiting request: of two staff claiming at once, one gets it, the other is told who.
#[server(endpoint = "claim_call")]
pub async fn claim_call(id: String) -> Result<(), AppError> {
    let staff = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("id", &id, 64)?;
    let state = crate::state::app_state()?;
    ssr::claim(&state, &staff, &id).await
}

/// Marks a request the caller claimed as done, with what was agreed.
#[server(endpoint = "finish_call")]
pub async fn finish_call(id: String, #[server(default)] note: String) -> Result<(), AppError> {
    let staff = crate::session::require_merchandiser_change().await?;
    crate::limits::check_len("id", &id, 64)?;
    crate::limits::check_len("note", &note, 2000)?;
    let state = crate::state::app_state()?;
    ssr::finish(&state, &staff, &id, &note).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_become_e164() {
        assert_eq!(e164("+49 30 1234 5678").unwrap(), "+493012345678");
        assert_eq!(e164("0033 (1) 23-45-67-89").unwrap(), "+33123456789");
        assert_eq!(e164(" +44 20 7946 0958 ").unwrap(), "+442079460958");
        for bad in [
            "030 1234 5678",
            "+49 30 CALL ME",
            "+1234",
            "+0 123 456 789",
            "+1234567890123456",
            "",
        ] {
            assert!(e164(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn calls_are_booked_on_working_days_only() {
        let thursday = crate::time::parse_day("2026-12-03").unwrap();
        let days = bookable_days(thursday);
        assert_eq!(days.len(), DAYS_AHEAD as usize);
        assert_eq!(crate::time::day_text(days[0]), "2026-12-03");
        assert_eq!(
            crate::time::day_text(days[2]),
            "2026-12-07",
            "Saturday and Sunday are skipped"
        );
        assert!(days.iter().all(|d| crate::time::weekday(*d) < 5));
    }
}
