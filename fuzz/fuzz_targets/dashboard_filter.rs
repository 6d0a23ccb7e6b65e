//! The dashboard's filter parser (`Filter::parse`, behind every dashboard page, export and
//! `/api/v1/stats` query) on any query string: it never panics, and a filter it accepts survives
//! its own links (`to_query`) unchanged.

#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use sync_server::analytics::Filter;

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    let today = NaiveDate::from_ymd_opt(2026, 11, 26).expect("a date");
    if let Ok((filter, _)) = Filter::parse(&query, today, &["by", "format"]) {
        let link = filter.to_query(&[]);
        let (again, extras) = Filter::parse(&link, today, &[]).expect("its own link parses");
        assert_eq!(again, filter, "the link {link:?} keeps the filter");
        assert!(extras.is_empty());
    }
});
