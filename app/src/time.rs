//! Times are unix milliseconds everywhere; this is where one becomes text. The server and the
//! hydrating browser must print the same words, so times are shown in UTC, not the machine's zone.

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// (year, month 1–12, day 1–31) of a day number counted from 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Howard Hinnant's days-to-civil algorithm: eras of 400 years, March-based years.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `1 Dec 2026`.
pub fn format_date(ms: i64) -> String {
    let (year, month, day) = civil_from_days(ms.div_euclid(86_400_000));
    format!("{day} {} {year}", MONTHS[(month - 1) as usize])
}

/// `1 Dec 2026, 14:05 UTC`.
pub fn format_time(ms: i64) -> String {
    let minutes = ms.div_euclid(60_000).rem_euclid(24 * 60);
    format!(
        "{}, {:02}:{:02} UTC",
        format_date(ms),
        minutes / 60,
        minutes % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants_print_as_calendar_dates() {
        assert_eq!(format_time(0), "1 Jan 1970, 00:00 UTC");
        // 2026-12-01T14:05:00Z
        assert_eq!(format_time(1_796_133_900_000), "1 Dec 2026, 14:05 UTC");
        // 2024-02-29T23:59:00Z, a leap day
        assert_eq!(format_time(1_709_251_140_000), "29 Feb 2024, 23:59 UTC");
    }
}
