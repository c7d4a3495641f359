//! Metadata dates, read one way everywhere: what quality calls « dates invalides » is
//! what search cannot rank by freshness, and a date quality accepts is one search ranks.
//! (Two parsers used to disagree: `2020-01-01 junk` was fresh in search and invalid in
//! quality.)

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// Parses a literal date: `xsd:date`, `xsd:dateTime` (with or without zone), `YYYY-MM`
/// or `YYYY`; anything else (`2010-01-35`, `1999-4-4`, `2020-01-01 junk`, `demain`) is
/// not a date.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let b = t.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let strict_ymd = digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10);
    let strict_ym = t.len() == 7 && digits(0..4) && b.get(4) == Some(&b'-') && digits(5..7);
    if !(strict_ymd || strict_ym || (t.len() == 4 && digits(0..4))) {
        return None;
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Some(d);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.date_naive());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, format) {
            return Some(dt.date());
        }
    }
    // A date with a zone suffix (`2020-01-01Z`, `2020-01-01+02:00`).
    if t.len() > 10 && t.is_char_boundary(10) {
        let (date, zone) = t.split_at(10);
        let zone_ok =
            zone == "Z" || (zone.len() == 6 && (zone.starts_with('+') || zone.starts_with('-')));
        if zone_ok {
            if let Ok(d) = NaiveDate::parse_from_str(date, "%Y-%m-%d") {
                return Some(d);
            }
        }
    }
    if t.len() == 7 {
        if let Ok(d) = NaiveDate::parse_from_str(&format!("{t}-01"), "%Y-%m-%d") {
            return Some(d);
        }
    }
    if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
        if let Some(d) = t
            .parse()
            .ok()
            .and_then(|y| NaiveDate::from_ymd_opt(y, 1, 1))
        {
            return Some(d);
        }
    }
    None
}

/// The instant of a metadata date, in Unix seconds: the time it names when it has one
/// (UTC when it has no zone), else midnight UTC of its day. `Some` exactly when
/// [`parse_date`] is.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let date = parse_date(text)?;
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.timestamp());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, format) {
            return Some(dt.and_utc().timestamp());
        }
    }
    date.and_hms_opt(0, 0, 0).map(|dt| dt.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_or_are_not_dates() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(parse_date("2020-03-04"), d(2020, 3, 4));
        assert_eq!(
            parse_date("2020-03-04T10:00:00.123456+00:00"),
            d(2020, 3, 4)
        );
        assert_eq!(parse_date("2020-03-04T10:00:00"), d(2020, 3, 4));
        assert_eq!(parse_date("2020-03-04Z"), d(2020, 3, 4));
        assert_eq!(parse_date("2020-03"), d(2020, 3, 1));
        assert_eq!(parse_date("2023"), d(2023, 1, 1));
        for bad in [
            "",
            "2010-01-35",
            "2011-15-01",
            "1999-4-4",
            "2008-01-01T00:00:75",
            "demain",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_instant_exists_exactly_when_the_date_does() {
        for text in [
            "2020-03-04",
            "2020-03-04T10:00:00+02:00",
            "2020-03-04T10:00:00",
            "2020-03-04 10:00:00",
            "2020-03-04Z",
            "2020-03",
            "2023",
            // Formerly fresh in search, invalid in quality.
            "2020-01-01 junk",
            "2020-01-01T",
            "2020-1-1",
            "12/03/2020",
            "",
        ] {
            assert_eq!(
                parse_timestamp(text).is_some(),
                parse_date(text).is_some(),
                "{text:?}"
            );
        }
        assert_eq!(parse_timestamp("1970-01-02"), Some(86_400));
        assert_eq!(parse_timestamp("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_timestamp("2020-01-01 junk"), None);
    }
}
