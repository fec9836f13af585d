//! Orders: numbers a person can read out on the phone, the status every order moves through, the
//! order page with its timeline, the lookup by number and email, and reordering.

mod page;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use page::{
    LookupPage, OrderDetails, OrderLines, OrderPage, OrderSummary, ReorderButton, Timeline,
};

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::address::Address;
pub use crate::address::normalize_order_number as normalize_number;
use crate::error::AppError;

/// Where an order is; stored as its `as_str` in `orders.status` and `order_events.status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderStatus {
    Placed,
    Paid,
    InProduction,
    Shipped,
    Delivered,
    Cancelled,
}

impl OrderStatus {
    pub const PATH: [OrderStatus; 5] = [
        OrderStatus::Placed,
        OrderStatus::Paid,
        OrderStatus::InProduction,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Placed => "placed",
            OrderStatus::Paid => "paid",
            OrderStatus::InProduction => "in_production",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<OrderStatus> {
        [OrderStatus::Cancelled]
            .into_iter()
            .chain(OrderStatus::PATH)
            .find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            OrderStatus::Placed => "Placed",
            OrderStatus::Paid => "Paid",
            OrderStatus::InProduction => "In production",
            OrderStatus::Shipped => "Shipped",
            OrderStatus::Delivered => "Delivered",
            OrderStatus::Cancelled => "Cancelled",
        }
    }

    /// The next step on the path, if any.
    pub fn next(self) -> Option<OrderStatus> {
        let position = OrderStatus::PATH.iter().position(|s| *s == self)?;
        OrderStatus::PATH.get(position + 1).copied()
    }

    pub fn can_cancel(self) -> bool {
        matches!(self, OrderStatus::Placed | OrderStatus::Paid)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineStep {
    pub status: OrderStatus,
    pub reached: bool,
    /// Unix milliseconds when the order reached this step.
    pub at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderLineView {
    pub product_name: String,
    /// The configuration in words: "Frame: Steel tourer · Brakes: Hydraulic disc".
    pub summary: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub line_total: i64,
    /// Working days to make it, as estimated when the order was placed.
    pub lead_days: u32,
}

/// How an order is paid and where the payment stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Payment {
    Invoice,
    /// Card, not paid yet: the stock is held until `due_at` (unix ms); `started` says whether a
    /// Stripe Checkout Session exists (if not, starting it failed and "Pay now" retries).
    CardAwaiting {
        due_at: Option<i64>,
        started: bool,
    },
    Card,
}

impl Payment {
    pub fn label(&self) -> &'static str {
        match self {
            Payment::Invoice => "Invoice (bank transfer within 14 days)",
            Payment::CardAwaiting { .. } | Payment::Card => "Card",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderView {
    pub number: String,
    pub status: OrderStatus,
    pub timeline: Vec<TimelineStep>,
    pub lines: Vec<OrderLineView>,
    pub total: i64,
    pub payment: Payment,
    pub email: String,
    pub address: Address,
    pub placed_at: i64,
}

impl OrderView {
    /// The page heading, following where the order is.
    pub fn heading(&self) -> &'static str {
        match (self.status, &self.payment) {
            (OrderStatus::Placed, Payment::CardAwaiting { .. }) => {
                "Your order is waiting for payment"
            }
            (OrderStatus::Placed, _) => "Thank you — your order is placed",
            (OrderStatus::Paid, _) => "Thank you — your order is paid",
            (OrderStatus::InProduction, _) => "Your order is being made",
            (OrderStatus::Shipped, _) => "Your order is on its way",
            (OrderStatus::Delivered, _) => "Your order was delivered",
            (OrderStatus::Cancelled, _) => "Your order was cancelled",
        }
    }
}

/// Builds the timeline from the steps an order has reached (status and time, oldest first).
pub fn timeline(status: OrderStatus, events: &[(OrderStatus, i64)]) -> Vec<TimelineStep> {
    let at = |wanted: OrderStatus| events.iter().find(|(s, _)| *s == wanted).map(|(_, at)| *at);
    let mut steps: Vec<TimelineStep> = OrderStatus::PATH
        .iter()
        .map(|&step| TimelineStep {
            status: step,
            reached: at(step).is_some(),
            at: at(step),
        })
        .collect();
    if status == OrderStatus::Cancelled {
        steps.retain(|step| step.reached);
        steps.push(TimelineStep {
            status,
            reached: true,
            at: at(status),
        });
    }
    steps
}

#[server(endpoint = "order")]
pub async fn order(number: String) -> Result<OrderView, AppError> {
    crate::limits::check_len("number", &number, 64)?;
    ssr::order_for_visitor(&number).await
}

#[server(endpoint = "lookup_order")]
pub async fn lookup_order(number: String, email: String) -> Result<(), AppError> {
    crate::limits::check_len("number", &number, 64)?;
    crate::limits::check_len("email", &email, crate::address::MAX_EMAIL)?;
    let number = ssr::lookup(&number, &email).await?;
    leptos_axum::redirect(&format!("/orders/{number}"));
    Ok(())
}

/// Puts the lines of an earlier order back into the cart, checked against today's rules and
/// stock. The lines that could not be re-added, and why, are shown on the cart page.
#[server(endpoint = "reorder")]
pub async fn reorder(number: String) -> Result<(), AppError> {
    crate::limits::check_len("number", &number, 64)?;
    ssr::reorder(&number).await?;
    leptos_axum::redirect("/cart");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_follow_the_path() {
        for status in OrderStatus::PATH
            .into_iter()
            .chain([OrderStatus::Cancelled])
        {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(OrderStatus::Placed.next(), Some(OrderStatus::Paid));
        assert_eq!(OrderStatus::Shipped.next(), Some(OrderStatus::Delivered));
        assert_eq!(OrderStatus::Delivered.next(), None);
        assert_eq!(OrderStatus::Cancelled.next(), None);
    }

    #[test]
    fn a_cancelled_timeline_ends_with_cancelled_after_the_steps_reached() {
        let steps = timeline(
            OrderStatus::Cancelled,
            &[(OrderStatus::Placed, 1), (OrderStatus::Cancelled, 2)],
        );
        let labels: Vec<_> = steps.iter().map(|s| s.status.label()).collect();
        assert_eq!(labels, ["Placed", "Cancelled"]);
        let steps = timeline(
            OrderStatus::Paid,
            &[(OrderStatus::Placed, 1), (OrderStatus::Paid, 2)],
        );
        assert_eq!(steps.iter().filter(|s| s.reached).count(), 2);
        assert_eq!(steps.len(), 5);
    }
}
