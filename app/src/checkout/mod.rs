//! Checkout: delivery details, payment choice and placing the order (one home: `place`).
//! "Invoice" always works; "Card" appears when Stripe is configured and hands the buyer to
//! Stripe Checkout (card data never touches us); the signed webhook marks the order paid, and an
//! unpaid card order can be paid later or switched to invoice (`card`).

// `place_order` takes the checkout form's fields one by one, so that the form works without
// JavaScript under the same names; the server-function macro puts that list on generated code
// an item-level `allow` cannot reach.
#![allow(clippy::too_many_arguments)]

#[cfg(feature = "ssr")]
pub mod card;
mod page;
#[cfg(feature = "ssr")]
pub mod place;

pub use page::CheckoutPage;

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use crate::address::COUNTRIES;
use crate::address::{Address, Email};
use crate::cart::CartView;
use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckoutView {
    pub cart: CartView,
    pub card_available: bool,
    pub email: String,
    pub full_name: String,
    /// The idempotency key of this checkout form: posting it twice places one order.
    pub checkout_key: String,
    /// How long an unpaid card order keeps its items, in minutes.
    pub payment_hold_minutes: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentMethod {
    Invoice,
    Card,
}

impl PaymentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Invoice => "invoice",
            PaymentMethod::Card => "card",
        }
    }
}

/// Delivery details as typed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryForm {
    pub email: String,
    pub full_name: String,
    pub address: String,
    pub city: String,
    pub postal_code: String,
    pub country: String,
    pub payment: String,
}

/// Delivery details once checked: the types the order is written from.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    pub email: Email,
    pub address: Address,
    pub payment: PaymentMethod,
}

impl DeliveryForm {
    /// Checks every field and reports each problem next to its field, keeping what was typed.
    pub fn validate(self, card_available: bool) -> Result<Delivery, AppError> {
        let mut fields: BTreeMap<String, String> = BTreeMap::new();
        let email = Email::parse(&self.email)
            .map_err(|message| fields.insert("email".into(), message))
            .ok();
        let address = Address::parse(
            &self.full_name,
            &self.address,
            &self.city,
            &self.postal_code,
            &self.country,
        )
        .map_err(|problems| {
            for (field, message) in problems {
                fields.entry(field.to_owned()).or_insert(message);
            }
        })
        .ok();
        let payment = match self.payment.as_str() {
            "invoice" => Some(PaymentMethod::Invoice),
            "card" if card_available => Some(PaymentMethod::Card),
            "card" => {
                fields.insert(
                    "payment".into(),
                    "Card payment is not available right now; please choose Invoice.".into(),
                );
                None
            }
            _ => {
                fields.insert("payment".into(), "Choose how you want to pay.".into());
                None
            }
        };
        if let (Some(email), Some(address), Some(payment), true) =
            (email, address, payment, fields.is_empty())
        {
            return Ok(Delivery {
                email,
                address,
                payment,
            });
        }
        let count = fields.len();
        let error = AppError::Validation {
            message: if count == 1 {
                "Please correct the highlighted field.".into()
            } else {
                format!("Please correct the {count} highlighted fields.")
            },
            fields,
            values: BTreeMap::new(),
        };
        Err(error.with_values(&[
            ("email", self.email.trim()),
            ("full_name", self.full_name.trim()),
            ("address", self.address.trim()),
            ("city", self.city.trim()),
            ("postal_code", self.postal_code.trim()),
            ("country", self.country.trim()),
            ("payment", self.payment.trim()),
        ]))
    }
}

#[server(endpoint = "checkout_details")]
pub async fn checkout_details() -> Result<CheckoutView, AppError> {
    let state = crate::state::app_state()?;
    let cart = crate::cart::ssr::current_cart().await?;
    let customer = crate::session::current().await?.and_then(|s| s.customer);
    Ok(CheckoutView {
        cart,
        card_available: state.settings.stripe.is_some(),
        email: customer
            .as_ref()
            .map(|c| c.email.clone())
            .unwrap_or_default(),
        full_name: customer.map(|c| c.full_name).unwrap_or_default(),
        checkout_key: crate::db::new_id(),
        payment_hold_minutes: state.settings.payment_hold.as_secs() / 60,
    })
}

/// Places the order. The form's `checkout_key` makes it idempotent: a double click, a retry
/// after a dropped connection, or twenty parallel posts of one form give one order, and every
/// repeat is answered with that order.
#[server(endpoint = "place_order")]
pub async fn place_order(
    email: String,
    full_name: String,
    address: String,
    city: String,
    postal_code: String,
    country: String,
    payment: Option<String>,
    checkout_key: Option<String>,
) -> Result<(), AppError> {
    use crate::address::{MAX_CITY, MAX_EMAIL, MAX_NAME, MAX_POSTAL_CODE, MAX_STREET};
    use crate::limits::check_len;
    check_len("email", &email, MAX_EMAIL + 10)?;
    check_len("full_name", &full_name, MAX_NAME + 10)?;
    check_len("address", &address, MAX_STREET + 10)?;
    check_len("city", &city, MAX_CITY + 10)?;
    check_len("postal_code", &postal_code, MAX_POSTAL_CODE + 10)?;
    check_len("country", &country, 10)?;
    check_len("payment", payment.as_deref().unwrap_or_default(), 20)?;
    check_len(
        "checkout_key",
        checkout_key.as_deref().unwrap_or_default(),
        64,
    )?;
    let state = crate::state::app_state()?;
    let delivery = DeliveryForm {
        email,
        full_name,
        address,
        city,
        postal_code,
        country,
        payment: payment.unwrap_or_default(),
    }
    .validate(state.settings.stripe.is_some())?;
    let session = crate::session::current()
        .await?
        .ok_or_else(|| AppError::validation("Your cart is empty."))?;
    let order = place::place(&state, &session, &delivery, checkout_key.as_deref()).await?;
    if order.awaiting_card_payment() {
        // The order exists and holds its stock whatever Stripe does now: if the session cannot
        // be created, the order page says so and offers "Pay now" and "Pay by invoice".
        match card::start_payment(&state, &order).await {
            Ok(url) => {
                leptos_axum::redirect(&url);
                return Ok(());
            }
            Err(problem) => {
                tracing::warn!(order = %order.number, %problem, "card payment not started; the order waits for payment");
            }
        }
    }
    leptos_axum::redirect(&format!("/orders/{}", order.number));
    Ok(())
}

/// "Pay now" on an unpaid card order: the open Checkout Session if there is one, else a fresh one.
#[server(endpoint = "pay_now")]
pub async fn pay_now(number: String) -> Result<(), AppError> {
    crate::limits::check_len("number", &number, 64)?;
    let url = card::pay_now(&number).await?;
    leptos_axum::redirect(&url);
    Ok(())
}

/// "Pay by invoice instead" on an unpaid card order.
#[server(endpoint = "pay_by_invoice")]
pub async fn pay_by_invoice(number: String) -> Result<(), AppError> {
    crate::limits::check_len("number", &number, 64)?;
    let number = card::switch_to_invoice(&number).await?;
    leptos_axum::redirect(&format!("/orders/{number}"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> DeliveryForm {
        DeliveryForm {
            email: " ada@example.com ".into(),
            full_name: "Ada Lovelace".into(),
            address: "1 Analytical Row".into(),
            city: "London".into(),
            postal_code: "ec1a 1bb".into(),
            country: "GB".into(),
            payment: "invoice".into(),
        }
    }

    #[test]
    fn a_good_form_is_trimmed_and_accepted() {
        let checked = form().validate(false).unwrap();
        assert_eq!(checked.email.as_str(), "ada@example.com");
        assert_eq!(checked.address.postal_code, "EC1A 1BB");
        assert_eq!(checked.payment, PaymentMethod::Invoice);
    }

    #[test]
    fn control_characters_and_fake_emails_are_refused() {
        let bad = DeliveryForm {
            email: "@.".into(),
            full_name: "Ada\u{1b}[2J".into(),
            address: "1 Row\r\nBcc: x".into(),
            ..form()
        };
        let error = bad.validate(false).unwrap_err();
        for field in ["email", "full_name", "address"] {
            assert!(error.field_message(field).is_some(), "{field}");
        }
    }

    #[test]
    fn each_bad_field_gets_its_own_message_and_typed_values_survive() {
        let bad = DeliveryForm {
            email: "nope".into(),
            city: " ".into(),
            country: "XX".into(),
            ..form()
        };
        let error = bad.validate(false).unwrap_err();
        assert!(error.field_message("email").is_some());
        assert!(error.field_message("city").is_some());
        assert!(error.field_message("country").is_some());
        assert!(error.field_message("address").is_none());
        assert_eq!(
            error.typed_value("full_name").as_deref(),
            Some("Ada Lovelace")
        );
    }

    #[test]
    fn card_is_refused_when_stripe_is_not_configured() {
        let card = DeliveryForm {
            payment: "card".into(),
            ..form()
        };
        assert!(
            card.clone()
                .validate(false)
                .unwrap_err()
                .field_message("payment")
                .is_some()
        );
        assert!(card.validate(true).is_ok());
    }
}
