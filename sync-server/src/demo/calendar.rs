//! When the demo's offices are open, in Europe/Warsaw local time: weekdays only, never on a Polish
//! public holiday (`crate::holidays`), longer on Mondays; and the conversion of local times to UTC across daylight
//! saving.

use chrono::{Datelike, NaiveDate, NaiveTime, TimeZone, Weekday};

use crate::event_time::REPORT_TIME_ZONE;
use crate::holidays::is_public_holiday;

/// How long an office's doors are open: Monday is the long day in every office.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hours {
    /// Płock City Hall: Monday 8:00–18:00, Tuesday to Friday 8:00–16:00.
    CityHall,
    /// The smaller offices: Monday 8:00–17:00, Tuesday to Friday 7:30–15:30.
    SmallOffice,
}

/// Opening and closing time on one day, local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenHours {
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

fn time(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN)
}

impl Hours {
    /// The hours on `date`, or `None` on weekends and public holidays.
    pub fn on(self, date: NaiveDate) -> Option<OpenHours> {
        if is_public_holiday(date) {
            return None;
        }
        let (opens, closes) = match (self, date.weekday()) {
            (_, Weekday::Sat | Weekday::Sun) => return None,
            (Hours::CityHall, Weekday::Mon) => (time(8, 0), time(18, 0)),
            (Hours::CityHall, _) => (time(8, 0), time(16, 0)),
            (Hours::SmallOffice, Weekday::Mon) => (time(8, 0), time(17, 0)),
            (Hours::SmallOffice, _) => (time(7, 30), time(15, 30)),
        };
        Some(OpenHours { opens, closes })
    }

    /// Whether the office is open at this local date and time.
    pub fn is_open_at(self, date: NaiveDate, at: NaiveTime) -> bool {
        self.on(date)
            .is_some_and(|hours| hours.opens <= at && at < hours.closes)
    }
}

/// A Warsaw local date and time as UTC milliseconds; in the autumn hour that happens twice, the
/// first. (Office hours never fall in the spring gap at 2:00–3:00.)
pub fn warsaw_to_utc_ms(date: NaiveDate, at: NaiveTime) -> i64 {
    let local = date.and_time(at);
    REPORT_TIME_ZONE
        .from_local_datetime(&local)
        .earliest()
        .map_or_else(
            || local.and_utc().timestamp_millis(),
            |t| t.timestamp_millis(),
        )
}

/// The Warsaw local date and time of a UTC instant.
pub fn utc_ms_to_warsaw(utc_ms: i64) -> Option<chrono::NaiveDateTime> {
    chrono::DateTime::from_timestamp_millis(utc_ms)
        .map(|t| t.with_timezone(&REPORT_TIME_ZONE).naive_local())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("test date")
    }

    fn utc(text: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(text)
            .expect("test time")
            .timestamp_millis()
    }

    #[test]
    fn public_holidays_close_every_office() {
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
            assert_eq!(Hours::CityHall.on(date(holiday)), None, "{holiday}");
            assert_eq!(Hours::SmallOffice.on(date(holiday)), None, "{holiday}");
        }
    }

    #[test]
    fn weekends_are_closed_and_monday_is_the_long_day() {
        assert_eq!(Hours::CityHall.on(date("2026-11-21")), None, "Saturday");
        assert_eq!(Hours::SmallOffice.on(date("2026-11-22")), None, "Sunday");
        let monday = Hours::CityHall.on(date("2026-11-23")).expect("open");
        assert_eq!((monday.opens, monday.closes), (time(8, 0), time(18, 0)));
        let tuesday = Hours::SmallOffice.on(date("2026-11-24")).expect("open");
        assert_eq!((tuesday.opens, tuesday.closes), (time(7, 30), time(15, 30)));
        assert!(Hours::SmallOffice.is_open_at(date("2026-11-24"), time(7, 30)));
        assert!(!Hours::SmallOffice.is_open_at(date("2026-11-24"), time(15, 30)));
        assert!(!Hours::CityHall.is_open_at(date("2026-11-24"), time(7, 59)));
    }

    #[test]
    fn opening_time_in_utc_follows_daylight_saving() {
        // Winter (UTC+1) before the spring change on 29 March 2026, summer (UTC+2) after it.
        assert_eq!(
            warsaw_to_utc_ms(date("2026-03-23"), time(8, 0)),
            utc("2026-03-23T07:00:00Z")
        );
        assert_eq!(
            warsaw_to_utc_ms(date("2026-03-30"), time(8, 0)),
            utc("2026-03-30T06:00:00Z")
        );
        // Back to winter time after 25 October 2026.
        assert_eq!(
            warsaw_to_utc_ms(date("2026-10-23"), time(16, 0)),
            utc("2026-10-23T14:00:00Z")
        );
        assert_eq!(
            warsaw_to_utc_ms(date("2026-10-26"), time(8, 0)),
            utc("2026-10-26T07:00:00Z")
        );
        // The autumn hour that happens twice: the first one.
        assert_eq!(
            warsaw_to_utc_ms(date("2026-10-25"), time(2, 30)),
            utc("2026-10-25T00:30:00Z")
        );
        let local = utc_ms_to_warsaw(utc("2026-03-30T06:00:00Z")).expect("in range");
        assert_eq!(local, date("2026-03-30").and_time(time(8, 0)));
    }
}
