//! Reading a console form on the server: every field's message at once and the values typed, so
//! one refusal names every field at fault and a form posted without JavaScript comes back filled
//! in (the values travel in the draft cookie, never in the URL).

use std::collections::BTreeMap;

use crate::admin::catalogue::{slug_of, valid_slug};
use crate::error::AppError;
use crate::money::parse_price;

/// Collects field messages and the values typed, so one refusal names every field at fault
/// and a form posted without JavaScript comes back filled in.
#[derive(Default)]
pub struct Form {
    fields: BTreeMap<String, String>,
    values: BTreeMap<String, String>,
}

impl Form {
    pub fn typed(&mut self, field: &str, value: &str) {
        self.values.insert(field.to_owned(), value.to_owned());
    }

    pub fn fault(&mut self, field: &str, message: impl Into<String>) {
        self.fields
            .entry(field.to_owned())
            .or_insert_with(|| message.into());
    }

    pub fn has_fault(&self, field: &str) -> bool {
        self.fields.contains_key(field)
    }

    /// `value` trimmed, required unless `optional`, at most `max` characters.
    pub fn text(
        &mut self,
        field: &str,
        label: &str,
        value: &str,
        max: usize,
        optional: bool,
    ) -> String {
        self.typed(field, value);
        let value = value.trim();
        if value.is_empty() && !optional {
            self.fault(field, format!("Enter the {label}."));
        } else if value.chars().count() > max {
            self.fault(
                field,
                format!("The {label} is too long: use at most {max} characters."),
            );
        }
        value.to_owned()
    }

    /// The slug typed, or one made from `name` when left empty.
    pub fn slug(&mut self, value: &str, name: &str) -> String {
        self.typed("slug", value);
        let slug = if value.trim().is_empty() {
            slug_of(name)
        } else {
            value.trim().to_owned()
        };
        if !valid_slug(&slug) {
            self.fault(
                "slug",
                "Use 2 to 60 lowercase letters, digits and single hyphens for the address, such as walnut-lamp.",
            );
        }
        slug
    }

    pub fn price(&mut self, field: &str, value: &str) -> i64 {
        self.typed(field, value);
        parse_price(value).unwrap_or_else(|message| {
            self.fault(field, message);
            0
        })
    }

    pub fn done(self) -> Result<(), AppError> {
        if self.fields.is_empty() {
            return Ok(());
        }
        let message = if self.fields.len() == 1 {
            self.fields.values().next().cloned().unwrap_or_default()
        } else {
            "Some fields need your attention.".to_owned()
        };
        Err(AppError::Validation {
            message,
            fields: self.fields,
            values: self.values,
        })
    }
}
