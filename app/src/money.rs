//! Money is integer minor units (cents) everywhere; this is the one place it becomes text.

/// `123456` → `€1,234.56`; negative amounts (discounts) get a minus sign.
pub fn format_price(minor: i64) -> String {
    let sign = if minor < 0 { "−" } else { "" };
    let minor = minor.unsigned_abs();
    let units = (minor / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}€{grouped}.{:02}", minor % 100)
}

/// The most a price typed in the console may be: €1,000,000.00.
pub const MAX_PRICE: i64 = 100_000_000;

/// What a merchandiser types as a price (`120`, `120.5`, `€1,200.00`) in minor units.
pub fn parse_price(text: &str) -> Result<i64, String> {
    let cleaned: String = text
        .trim()
        .trim_start_matches('€')
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != ' ')
        .collect();
    let invalid = || "Enter a price in euros, such as 120 or 120.50.".to_owned();
    let (units, cents) = match cleaned.split_once('.') {
        Some((units, cents)) => (units, cents),
        None => (cleaned.as_str(), ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if units.is_empty() || !digits(units) || !digits(cents) || cents.len() > 2 || units.len() > 9 {
        return Err(invalid());
    }
    let units: i64 = units.parse().map_err(|_| invalid())?;
    let cents: i64 = format!("{cents:0<2}").parse().map_err(|_| invalid())?;
    let minor = units * 100 + cents;
    if minor > MAX_PRICE {
        return Err(format!(
            "A price can be at most {}.",
            format_price(MAX_PRICE)
        ));
    }
    Ok(minor)
}

/// `12050` → `120.50`: a price as the console's price fields show it.
pub fn price_input(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

#[cfg(test)]
mod tests {
    use super::{format_price, parse_price, price_input};

    #[test]
    fn reads_prices_as_merchandisers_type_them() {
        assert_eq!(parse_price("120"), Ok(12000));
        assert_eq!(parse_price(" 120.5 "), Ok(12050));
        assert_eq!(parse_price("€1,200.00"), Ok(120000));
        assert_eq!(parse_price("0.07"), Ok(7));
        assert_eq!(parse_price(&price_input(12050)), Ok(12050));
        for bad in [
            "",
            "abc",
            "-5",
            "1.234",
            "12.3.4",
            "1e3",
            ".5",
            "99999999999",
        ] {
            assert!(parse_price(bad).is_err(), "{bad}");
        }
        assert!(parse_price("1000000.01").unwrap_err().contains("at most"));
    }

    #[test]
    fn groups_thousands_and_keeps_cents() {
        assert_eq!(format_price(0), "€0.00");
        assert_eq!(format_price(5), "€0.05");
        assert_eq!(format_price(123456), "€1,234.56");
        assert_eq!(format_price(100000000), "€1,000,000.00");
        assert_eq!(format_price(-2500), "−€25.00");
    }
}
