//! Dates and date-times as spreadsheets and exports write them: ISO (`2024-03-01`,
//! `2024-03-01T23:30:00Z`, `2024-03-01 23:30`), `YYYY/MM/DD`, and `DD/MM/YYYY` or `MM/DD/YYYY`
//! with an optional time. A value that names a time zone is converted to UTC.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// Which of two numbers in `a/b/yyyy` is the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    DayFirst,
    MonthFirst,
}

/// A date or date-time in one of the accepted forms, in UTC when it names a time zone. `order`
/// decides `a/b/yyyy`.
pub fn parse_date(raw: &str, order: DateOrder) -> Option<NaiveDateTime> {
    parse_date_zoned(raw, order).map(|(d, _)| d)
}

/// [`parse_date`], and whether the text named a time zone (`Z`, `+02:00`, `-0500`, `+02`); such a
/// value is converted to UTC. The time is `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff`, after a `T` or a
/// space.
pub fn parse_date_zoned(raw: &str, order: DateOrder) -> Option<(NaiveDateTime, bool)> {
    let s = super::trim(raw);
    if let Some(date) = parse_month_name_date(s) {
        return Some((date.and_time(NaiveTime::MIN), false));
    }
    let (date_part, time_part) = match s.split_once(['T', 't', ' ']) {
        Some((d, t)) => (d, Some(t.trim())),
        None => (s, None),
    };
    let (time, offset) = match time_part {
        None => (NaiveTime::MIN, None),
        Some(t) => parse_time(t)?,
    };
    let mut split = date_part.split(['-', '/', '.']);
    let (Some(pa), Some(pb), Some(pc), None) =
        (split.next(), split.next(), split.next(), split.next())
    else {
        return None;
    };
    if ![pa, pb, pc]
        .iter()
        .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|x| x.is_ascii_digit()))
    {
        return None;
    }
    let (a, b, c): (u32, u32, i32) = (pa.parse().ok()?, pb.parse().ok()?, pc.parse().ok()?);
    let date = if pa.len() == 4 {
        NaiveDate::from_ymd_opt(a as i32, b, c as u32)?
    } else if pc.len() == 4 {
        match order {
            DateOrder::DayFirst => NaiveDate::from_ymd_opt(c, b, a)?,
            DateOrder::MonthFirst => NaiveDate::from_ymd_opt(c, a, b)?,
        }
    } else {
        return None;
    };
    let local = date.and_time(time);
    match offset {
        None => Some((local, false)),
        Some(east) => Some((
            local.checked_sub_signed(chrono::TimeDelta::seconds(east))?,
            true,
        )),
    }
}

/// Dates written with a month name, as exported by many tools: "Jan 1 2000", "January 1, 2000",
/// "1 Jan 2000", "01-Jan-2000" (short or full English month names).
fn parse_month_name_date(s: &str) -> Option<NaiveDate> {
    // Every form below has a month name: three letters in a row at least. A single letter (the
    // `T` and `Z` of "2013-01-01T10:00:00Z") is no month, and trying ten formats on every ISO
    // date-time was most of an import's time.
    let month_name = s
        .as_bytes()
        .windows(3)
        .any(|w| w.iter().all(u8::is_ascii_alphabetic));
    if !month_name || s.len() > 20 {
        return None;
    }
    const FORMATS: [&str; 10] = [
        "%b %d %Y",
        "%b %d, %Y",
        "%d %b %Y",
        "%d-%b-%Y",
        "%b-%d-%Y",
        "%d %b, %Y",
        "%B %d %Y",
        "%B %d, %Y",
        "%d %B %Y",
        "%d %B, %Y",
    ];
    FORMATS
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
}

/// A clock time with an optional zone; the zone as seconds east of UTC.
fn parse_time(t: &str) -> Option<(NaiveTime, Option<i64>)> {
    let (clock, offset) = if let Some(clock) = t.strip_suffix(['Z', 'z']) {
        (clock, Some(0))
    } else if let Some(i) = t.rfind(['+', '-']) {
        (&t[..i], Some(parse_offset(&t[i..])?))
    } else {
        (t, None)
    };
    let clock = clock.trim_end();
    // `%.f` also reads no fraction at all ("23:30:00").
    let time = NaiveTime::parse_from_str(clock, "%H:%M:%S%.f")
        .or_else(|_| NaiveTime::parse_from_str(clock, "%H:%M"))
        .ok()?;
    Some((time, offset))
}

/// `+HH:MM`, `+HHMM` or `+HH` (or `-`), in seconds east of UTC.
fn parse_offset(z: &str) -> Option<i64> {
    let (sign, digits) = match z.split_at(1) {
        ("+", d) => (1, d),
        ("-", d) => (-1, d),
        _ => return None,
    };
    if !digits.bytes().all(|b| b.is_ascii_digit() || b == b':') {
        return None;
    }
    let (h, m) = match (digits.len(), digits.as_bytes().get(2)) {
        (2, _) => (digits, "00"),
        (4, _) => digits.split_at(2),
        (5, Some(b':')) => (&digits[..2], &digits[3..]),
        _ => return None,
    };
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 23 && m <= 59).then_some(sign * (h * 3600 + m * 60))
}

/// `YYYY-MM-DD` exactly: already stored as it should be.
pub fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_names_are_dates() {
        for (raw, iso) in [
            ("Jan 1 2000", "2000-01-01"),
            ("January 15, 2001", "2001-01-15"),
            ("1 Feb 2002", "2002-02-01"),
            ("03-Mar-2003", "2003-03-03"),
            ("Sept 9 2004", ""),
            ("Jan", ""),
            ("Mr Smith 2000", ""),
        ] {
            let got = parse_date(raw, DateOrder::DayFirst)
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            assert_eq!(got, iso, "{raw}");
        }
    }

    #[test]
    fn zones_are_read_and_converted_to_utc() {
        for (raw, utc, zoned) in [
            ("2024-03-01T23:30:00Z", "2024-03-01 23:30:00", true),
            ("2024-03-01t23:30:00z", "2024-03-01 23:30:00", true),
            ("2024-03-01T23:30:00+02:00", "2024-03-01 21:30:00", true),
            ("2024-03-01T23:30:00-05:00", "2024-03-02 04:30:00", true),
            ("2024-03-01T23:30:00+0530", "2024-03-01 18:00:00", true),
            ("2024-03-01T23:30+01", "2024-03-01 22:30:00", true),
            ("2024-03-01 23:30:00 +02:00", "2024-03-01 21:30:00", true),
            ("2024-03-01T23:30:00", "2024-03-01 23:30:00", false),
            ("2024-03-01 23:30", "2024-03-01 23:30:00", false),
            ("2024-03-01", "2024-03-01 00:00:00", false),
        ] {
            let (d, z) = parse_date_zoned(raw, DateOrder::MonthFirst)
                .unwrap_or_else(|| panic!("{raw} should parse"));
            assert_eq!(
                (d.format("%Y-%m-%d %H:%M:%S").to_string().as_str(), z),
                (utc, zoned),
                "{raw}"
            );
        }
        for raw in [
            "2024-03-01T25:00Z",
            "2024-03-01T23:30+24:00",
            "2024-03-01T23:30+2",
            "2024-03-01T23:30+02:0",
            "2024-03-01T23:30 EST",
            "2024-03-01T",
            "2024-03-01T23:30+€1",
            "2024-03-01T23:30+a€",
        ] {
            assert_eq!(parse_date(raw, DateOrder::MonthFirst), None, "{raw}");
        }
    }
}
