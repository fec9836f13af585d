//! The shop's words for who buys and where it goes: `Email`, `Address`, and the checks every
//! typed text goes through once, where it is parsed (length within stated limits, no control
//! characters). Checkout, the order record and accounts all use these types.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// The longest email address SMTP can carry.
pub const MAX_EMAIL: usize = 254;
pub const MAX_NAME: usize = 200;
pub const MAX_STREET: usize = 300;
pub const MAX_CITY: usize = 100;
pub const MAX_POSTAL_CODE: usize = 12;

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

pub fn country_name(code: &str) -> &str {
    COUNTRIES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| *name)
        .unwrap_or(code)
}

/// Why a typed text was refused; the message names the field's real limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextProblem {
    Empty,
    TooLong { max: usize },
    ControlCharacter,
}

/// Trims `text` and checks it: not empty, at most `max` characters, no control characters
/// (NUL, ESC, CR/LF, … would corrupt labels, logs and the CSV a merchandiser exports).
pub fn clean_text(text: &str, max: usize) -> Result<String, TextProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(TextProblem::Empty);
    }
    if text.chars().count() > max {
        return Err(TextProblem::TooLong { max });
    }
    if text.chars().any(char::is_control) {
        return Err(TextProblem::ControlCharacter);
    }
    Ok(text.nfc().collect())
}

/// A message for a refused text field, `what` being e.g. "your full name".
pub fn text_message(problem: &TextProblem, what: &str) -> String {
    match problem {
        TextProblem::Empty => format!("Enter {what}."),
        TextProblem::TooLong { max } => format!("Use at most {max} characters for {what}."),
        TextProblem::ControlCharacter => {
            format!("Remove the special (control) characters from {what}.")
        }
    }
}

/// An email address that a real mail system accepts, stored in lower case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    /// Parses with a real address parser (RFC 5322 local part and domain, a top-level domain
    /// required), and also refuses quoted local parts: `"<svg…>"@x.com` is valid mail syntax but
    /// no buyer has one, and it would be dangerous wherever it is shown.
    pub fn parse(text: &str) -> Result<Email, String> {
        let text = text.trim();
        let refuse = || "Enter an email address like name@example.com.".to_owned();
        if text.is_empty() {
            return Err("Enter your email address.".to_owned());
        }
        if text.len() > MAX_EMAIL {
            return Err(format!(
                "An email address has at most {MAX_EMAIL} characters."
            ));
        }
        if text
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '"' | '<' | '>' | '\\'))
        {
            return Err(refuse());
        }
        let options = email_address::Options::default()
            .with_required_tld()
            .without_domain_literal()
            .without_display_text();
        let parsed =
            email_address::EmailAddress::parse_with_options(text, options).map_err(|_| refuse())?;
        let domain = parsed.domain();
        if domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
            return Err(refuse());
        }
        Ok(Email(parsed.email().to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where an order goes: checked once, then stored on the order as it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Address {
    pub full_name: String,
    /// Street and house number.
    pub street: String,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166 code, one of [`COUNTRIES`].
    pub country: String,
}

impl Address {
    /// Checks every field and returns the message for each one at fault, keyed by field name
    /// (`full_name`, `address`, `city`, `postal_code`, `country`, the checkout form's names).
    pub fn parse(
        full_name: &str,
        street: &str,
        city: &str,
        postal_code: &str,
        country: &str,
    ) -> Result<Address, Vec<(&'static str, String)>> {
        let mut problems = Vec::new();
        let mut check =
            |field: &'static str, text: &str, max: usize, what: &str| match clean_text(text, max) {
                Ok(clean) => clean,
                Err(problem) => {
                    problems.push((field, text_message(&problem, what)));
                    String::new()
                }
            };
        let full_name = check("full_name", full_name, MAX_NAME, "your full name");
        let street = check("address", street, MAX_STREET, "the street and house number");
        let city = check("city", city, MAX_CITY, "the city");
        let postal_code = check(
            "postal_code",
            postal_code,
            MAX_POSTAL_CODE,
            "the postal code",
        )
        .to_uppercase();
        if !postal_code.is_empty()
            && !postal_code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        {
            problems.push((
                "postal_code",
                "Enter a postal code (letters, digits, spaces or hyphens).".to_owned(),
            ));
        }
        let country = country.trim().to_owned();
        if !COUNTRIES.iter().any(|(code, _)| *code == country) {
            problems.push(("country", "Choose a country we deliver to.".to_owned()));
        }
        if problems.is_empty() {
            Ok(Address {
                full_name,
                street,
                city,
                postal_code,
                country,
            })
        } else {
            Err(problems)
        }
    }

    /// "12 Analytical Row, EC1A 1BB London, United Kingdom".
    pub fn one_line(&self) -> String {
        format!(
            "{}, {} {}, {}",
            self.street,
            self.postal_code,
            self.city,
            country_name(&self.country)
        )
    }
}

/// `abcd efgh`, `ABCD-EFGH`, `ａｂｃｄ－ｅｆｇｈ` (full width) and `abcdefgh` are the same order
/// number: NFKC folds compatibility characters, then only letters and digits count.
pub fn normalize_order_number(text: &str) -> String {
    let compact: String = text
        .nfkc()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .take(16)
        .collect();
    if compact.len() == 8 {
        format!("{}-{}", &compact[..4], &compact[4..])
    } else {
        compact
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_addresses_parse_and_are_lower_cased() {
        assert_eq!(
            Email::parse(" Ada.Lovelace+shop@Example.co.uk ")
                .unwrap()
                .as_str(),
            "ada.lovelace+shop@example.co.uk"
        );
    }

    #[test]
    fn malformed_and_dangerous_addresses_are_refused() {
        for bad in [
            "@.",
            "a b@ex ample.com",
            "ada@example",
            "ada\0@example.com",
            "\"<svg onload=alert(1)>\"@example.com",
            "<svg>@example.com",
            "ada@@example.com",
            "ada@.example.com",
            "ada@example..com",
            "ada@[127.0.0.1]",
            "",
            "   ",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("{}@example.com", "a".repeat(300));
        assert!(Email::parse(&long).unwrap_err().contains("254"));
    }

    #[test]
    fn names_and_addresses_refuse_control_characters_and_state_limits() {
        assert_eq!(
            clean_text("Ada\u{1b}[31m", 200),
            Err(TextProblem::ControlCharacter)
        );
        assert_eq!(
            clean_text("Ada\r\nX", 200),
            Err(TextProblem::ControlCharacter)
        );
        assert_eq!(clean_text("A\0", 200), Err(TextProblem::ControlCharacter));
        assert_eq!(clean_text("  ", 200), Err(TextProblem::Empty));
        assert_eq!(
            clean_text(&"x".repeat(201), 200),
            Err(TextProblem::TooLong { max: 200 })
        );
        assert!(text_message(&TextProblem::TooLong { max: 200 }, "your name").contains("200"));
        let problems = Address::parse("Ada\0", "1 Row", "London", "ec1a 1bb", "XX").unwrap_err();
        let fields: Vec<_> = problems.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["full_name", "country"]);
        let ok = Address::parse(" Ada ", "1 Row", "London", "ec1a 1bb", "GB").unwrap();
        assert_eq!(ok.postal_code, "EC1A 1BB");
        assert_eq!(ok.one_line(), "1 Row, EC1A 1BB London, United Kingdom");
    }

    #[test]
    fn order_numbers_are_folded_from_full_width_and_lower_case() {
        assert_eq!(normalize_order_number(" abcd efgh "), "ABCD-EFGH");
        assert_eq!(normalize_order_number("ＡＢＣＤ－ｅｆｇｈ"), "ABCD-EFGH");
        assert_eq!(normalize_order_number("ABCD-EFGH"), "ABCD-EFGH");
        assert_eq!(normalize_order_number("abc"), "ABC");
        assert!(normalize_order_number(&"A".repeat(10_000)).len() <= 16);
    }
}
