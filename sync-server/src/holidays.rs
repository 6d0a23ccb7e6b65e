//! Polish working days: Monday to Friday except the public holidays of the act on days off work
//! (ustawa o dniach wolnych od pracy). The demo's opening hours and the heads of departments'
//! monthly e-mail (sent on a month's first working day) both ask here.

use chrono::{Datelike, NaiveDate, Weekday};

/// Whether offices work on `day`: Monday to Friday, not a Polish public holiday.
pub fn is_working_day(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !is_public_holiday(day)
}

/// Polish public holidays (ustawa o dniach wolnych od pracy): the fixed ones, those that follow
/// Easter, and Christmas Eve from 2025.
pub fn is_public_holiday(date: NaiveDate) -> bool {
    let fixed = [
        (1, 1),   // Nowy Rok
        (1, 6),   // Trzech Króli
        (5, 1),   // Święto Pracy
        (5, 3),   // Święto Konstytucji 3 Maja
        (8, 15),  // Wniebowzięcie NMP
        (11, 1),  // Wszystkich Świętych
        (11, 11), // Narodowe Święto Niepodległości
        (12, 25), // Boże Narodzenie
        (12, 26), // drugi dzień Bożego Narodzenia
    ];
    if fixed.contains(&(date.month(), date.day())) {
        return true;
    }
    if date.year() >= 2025 && (date.month(), date.day()) == (12, 24) {
        return true; // Wigilia, a public holiday since 2025
    }
    let Some(easter) = easter_sunday(date.year()) else {
        return false;
    };
    // Easter Monday and Corpus Christi (Easter Sunday and Pentecost fall on Sundays anyway).
    [1, 60]
        .iter()
        .any(|&days| easter + chrono::Duration::days(days) == date)
}

/// Easter Sunday of the Gregorian calendar (the anonymous Gregorian algorithm).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("test date")
    }

    #[test]
    fn easter_falls_where_the_calendar_says() {
        assert_eq!(easter_sunday(2024), Some(date("2024-03-31")));
        assert_eq!(easter_sunday(2025), Some(date("2025-04-20")));
        assert_eq!(easter_sunday(2026), Some(date("2026-04-05")));
        assert_eq!(easter_sunday(2027), Some(date("2027-03-28")));
    }

    #[test]
    fn public_holidays_are_not_working_days() {
        for holiday in [
            "2026-01-01",
            "2026-01-06",
            "2026-04-06", // Easter Monday
            "2026-05-01",
            "2026-06-04", // Corpus Christi
            "2026-11-11",
            "2026-12-24",
            "2026-12-25",
        ] {
            assert!(is_public_holiday(date(holiday)), "{holiday}");
            assert!(!is_working_day(date(holiday)), "{holiday}");
        }
        assert!(
            !is_public_holiday(date("2024-12-24")),
            "a working day before 2025"
        );
        assert!(is_working_day(date("2026-11-10")));
        assert!(!is_working_day(date("2026-11-07")), "a Saturday");
    }
}
