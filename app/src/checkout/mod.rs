//! Checkout: delivery details, payment choice and placing the order. "Invoice" always works; "Card"
//! appears when Stripe is configured and hands the buyer to Stripe Checkout (card data never
//! touches us); the signed webhook marks the order paid.

#[cfg(feature = "ssr")]
pub mod card;
mod page;

pub use page::CheckoutPage;

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cart::CartView;
use crate::error::AppError;

/// Countries we deliver to: ISO code and name.
pub const COUNTRIES: &[(&str, &str)] = &[
    ("AT", "Austria"),
    ("BE", "Belgium"),
    ("CH", "Switzerland"),
    ("DE", "Germany"),
    ("DK", "Denmark"),
    ("ES", "Spain"),
    ("FR", "France"),
    ("GB", "United Kingdom"),
    ("IE", "Ireland"),
    ("IT", "Italy"),
    ("LU", "Luxembourg"),
    ("NL", "Netherlands"),
    ("PL", "Poland"),
    ("PT", "Portugal"),
    ("SE", "Sweden"),
    ("US", "United States"),
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckoutView {
    pub cart: CartView,
    pub card_available: bool,
    pub email: String,
    pub full_name: String,
}

/// Delivery details as typed, checked field by field.
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

impl DeliveryForm {
    /// Trims every field and reports each problem next to its field.
    pub fn validate(mut self, card_available: bool) -> Result<DeliveryForm, AppError> {
        for field in [
            &mut self.email,
            &mut self.full_name,
            &mut self.address,
            &mut self.city,
            &mut self.postal_code,
        ] {
            *field = field.trim().to_owned();
        }
        self.postal_code = self.postal_code.to_uppercase();
        let mut fields = BTreeMap::new();
        let email_ok = self.email.len() <= 254
            && self.email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            })
            && !self.email.contains(char::is_whitespace);
        if !email_ok {
            fields.insert("email", "Enter an email address like name@example.com.");
        }
        if self.full_name.is_empty() || self.full_name.chars().count() > 200 {
            fields.insert("full_name", "Enter your full name.");
        }
        if self.address.is_empty() || self.address.chars().count() > 300 {
            fields.insert("address", "Enter the street and house number.");
        }
        if self.city.is_empty() || self.city.chars().count() > 100 {
            fields.insert("city", "Enter the city.");
        }
        if self.postal_code.is_empty()
            || self.postal_code.len() > 12
            || !self
                .postal_code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        {
            fields.insert(
                "postal_code",
                "Enter a postal code (letters, digits, spaces or hyphens).",
            );
        }
        if !COUNTRIES.iter().any(|(code, _)| *code == self.country) {
            fields.insert("country", "Choose a country we deliver to.");
        }
        match self.payment.as_str() {
            "invoice" => {}
            "card" if card_available => {}
            "card" => {
                fields.insert(
                    "payment",
                    "Card payment is not available right now; please choose Invoice.",
                );
            }
            _ => {
                fields.insert("payment", "Choose how you want to pay.");
            }
        }
        if fields.is_empty() {
            return Ok(self);
        }
        let count = fields.len();
        Err(AppError::Validation {
            message: if count == 1 {
                "Please correct the highlighted field.".into()
            } else {
                format!("Please correct the {count} highlighted fields.")
            },
            fields: fields
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            values: BTreeMap::from([
                ("email".to_owned(), self.email),
                ("full_name".to_owned(), self.full_name),
                ("address".to_owned(), self.address),
                ("city".to_owned(), self.city),
                ("postal_code".to_owned(), self.postal_code),
                ("country".to_owned(), self.country),
                ("payment".to_owned(), self.payment),
            ]),
        })
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
    })
}

#[server(endpoint = "place_order")]
pub async fn place_order(
    email: String,
    full_name: String,
    address: String,
    city: String,
    postal_code: String,
    country: String,
    payment: Option<String>,
) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    let form = DeliveryForm {
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
    let order = crate::orders::ssr::place(&state, &session, &form).await?;
    if form.payment == "card" {
        let url = card::start_payment(&state, &order).await?;
        leptos_axum::redirect(&url);
    } else {
        leptos_axum::redirect(&format!("/orders/{}", order.number));
    }
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
        assert_eq!(checked.email, "ada@example.com");
        assert_eq!(checked.postal_code, "EC1A 1BB");
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
