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

#[cfg(test)]
mod tests {
    use super::format_price;

    #[test]
    fn groups_thousands_and_keeps_cents() {
        assert_eq!(format_price(0), "€0.00");
        assert_eq!(format_price(5), "€0.05");
        assert_eq!(format_price(123456), "€1,234.56");
        assert_eq!(format_price(100000000), "€1,000,000.00");
        assert_eq!(format_price(-2500), "−€25.00");
    }
}
