//! Bounds on what a client may send, checked first thing in every server function: a field
//! longer than any real value is refused with a clear 422 that never repeats it (the request body
//! as a whole is bounded by the server, which answers 413).

use std::collections::BTreeMap;

use crate::error::AppError;

/// Ids of groups and options, slugs, line ids: short machine words.
pub const MAX_ID: usize = 100;
/// A product has at most this many option groups (a car range has a few hundred).
pub const MAX_GROUPS: usize = 400;

fn field_label(field: &str) -> String {
    field.replace('_', " ")
}

/// `value` may have at most `max` characters.
pub fn check_len(field: &str, value: &str, max: usize) -> Result<(), AppError> {
    if value.chars().count() > max {
        return Err(AppError::field(
            field,
            format!(
                "The {} is too long: use at most {max} characters.",
                field_label(field)
            ),
        ));
    }
    Ok(())
}

/// A configuration (group → option) as a form or a link sends it: bounded in entries and size.
pub fn check_configuration(
    field: &str,
    configuration: &BTreeMap<String, String>,
) -> Result<(), AppError> {
    let too_long = configuration
        .iter()
        .any(|(group, option)| group.chars().count() > MAX_ID || option.chars().count() > MAX_ID);
    if configuration.len() > MAX_GROUPS || too_long {
        return Err(AppError::field(
            field,
            "That configuration is not one of this product's. Please choose the options again.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_fields_are_refused_without_being_repeated() {
        let long = "x".repeat(600_000);
        let error = check_len("email", &long, 254).unwrap_err();
        assert_eq!(error.status(), 422);
        let shown = serde_json::to_string(&error).unwrap();
        assert!(shown.len() < 300, "{shown}");
        assert!(error.to_string().contains("254"));
        assert!(check_len("email", "a@b.co", 254).is_ok());
        let configuration = BTreeMap::from([("frame".to_owned(), long)]);
        assert!(check_configuration("configuration", &configuration).is_err());
    }
}
