//! Time expressions: "last month", "Q3 2025", "since June", "between May and July", … turned
//! into a half-open date window `[start, end)` relative to an injected `today`, following
//! `shared/docs/sample-data.md`. Matched words are marked used so the rest of the planner ignores them.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

use super::words::Words;

/// A resolved date window, `start` inclusive, `end` exclusive, with how it reads in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// What the user said ("last month").
    pub said: String,
    /// "1–31 October 2026".
    pub meaning: String,
}

/// Says when a window runs past where the data ends ("Your data ends 12 June 2026, so June 2026
/// is partial."); none when the data covers it, or when the data ends before it starts (the
/// reading says that itself).
pub fn partial_note(w: &Window, latest: NaiveDate) -> Option<String> {
    let last_day = w.end.pred_opt()?;
    if !(w.start <= latest && latest < last_day) {
        return None;
    }
    let month_start = NaiveDate::from_ymd_opt(w.start.year(), w.start.month(), 1);
    let next_month = month_start.and_then(|d| d.checked_add_months(Months::new(1)));
    let year_start = NaiveDate::from_ymd_opt(w.start.year(), 1, 1);
    let period = if Some(w.start) == month_start && Some(w.end) == next_month {
        w.start.format("%B %Y").to_string()
    } else if Some(w.start) == year_start
        && NaiveDate::from_ymd_opt(w.start.year() + 1, 1, 1) == Some(w.end)
    {
        w.start.year().to_string()
    } else {
        w.meaning.clone()
    };
    Some(format!(
        "Your data ends {}, so {period} is partial.",
        latest.format("%-d %B %Y")
    ))
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const ORDINALS: [&str; 4] = ["first", "second", "third", "fourth"];

pub(crate) fn month_number(word: &str) -> Option<u32> {
    // Full names, and three-letter abbreviations ("sept" too).
    let word = if word == "sept" { "sep" } else { word };
    MONTHS
        .iter()
        .position(|m| *m == word || (word.len() == 3 && m.starts_with(word)))
        .map(|i| i as u32 + 1)
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).expect("day 1 exists")
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

fn month_window(y: i32, m: u32) -> Option<(NaiveDate, NaiveDate)> {
    let s = ymd(y, m, 1)?;
    Some((s, s + Months::new(1)))
}

fn quarter_start(d: NaiveDate) -> NaiveDate {
    ymd(d.year(), (d.month() - 1) / 3 * 3 + 1, 1).expect("valid quarter start")
}

fn year_of(word: &str) -> Option<i32> {
    let y: i32 = word.parse().ok()?;
    (1900..=2200).contains(&y).then_some(y)
}

fn number(word: &str) -> Option<u32> {
    word.parse()
        .ok()
        .or_else(|| super::lexicon::number_word(word).filter(|n| *n <= 12))
}

/// Plain-words reading of a window: "1–31 October 2026", "1 January – 26 November 2026".
pub(crate) fn describe(start: NaiveDate, end: NaiveDate) -> String {
    let last = end.pred_opt().unwrap_or(end);
    let month = |d: NaiveDate| MONTHS[d.month0() as usize].to_string();
    let cap = |s: String| {
        let mut c = s.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    };
    if start == last {
        format!("{} {} {}", start.day(), cap(month(start)), start.year())
    } else if start.year() == last.year() && start.month() == last.month() {
        format!(
            "{}–{} {} {}",
            start.day(),
            last.day(),
            cap(month(start)),
            start.year()
        )
    } else if start.year() == last.year() {
        format!(
            "{} {} – {} {} {}",
            start.day(),
            cap(month(start)),
            last.day(),
            cap(month(last)),
            start.year()
        )
    } else {
        format!(
            "{} {} {} – {} {} {}",
            start.day(),
            cap(month(start)),
            start.year(),
            last.day(),
            cap(month(last)),
            last.year()
        )
    }
}

/// Finds the first time expression in `words`, marks it used, and resolves it.
pub fn extract(words: &mut Words, today: NaiveDate) -> Option<Window> {
    let tomorrow = today.succ_opt()?;
    let this_month = first_of_month(today);
    let n = words.len();
    for i in 0..n {
        if words.used(i) {
            continue;
        }
        let w = |k: usize| words.get(i + k).unwrap_or("");
        let mut take = 0usize;
        let mut window: Option<(NaiveDate, NaiveDate)> = None;
        let relative = matches!(w(0), "last" | "past" | "previous" | "prior" | "the");
        match (w(0), w(1), w(2)) {
            ("today", _, _) => (take, window) = (1, Some((today, tomorrow))),
            ("yesterday", _, _) => (take, window) = (1, Some((today.pred_opt()?, today))),
            ("this" | "current", "week", _) => {
                let monday = today.week(Weekday::Mon).first_day();
                (take, window) = (2, Some((monday, tomorrow)));
            }
            ("this" | "current", "month", _) | ("month", "to", "date") | ("mtd", _, _) => {
                (take, window) = (
                    if w(0) == "mtd" {
                        1
                    } else if w(0) == "month" {
                        3
                    } else {
                        2
                    },
                    Some((this_month, tomorrow)),
                );
            }
            ("this" | "current", "quarter", _) | ("qtd", _, _) => {
                (take, window) = (if w(0) == "qtd" { 1 } else { 2 }, Some((quarter_start(today), tomorrow)));
            }
            ("this" | "current", "year", _) | ("ytd", _, _) | ("year", "to", "date") => {
                (take, window) = (
                    if w(0) == "ytd" {
                        1
                    } else if w(0) == "year" {
                        3
                    } else {
                        2
                    },
                    Some((ymd(today.year(), 1, 1)?, tomorrow)),
                );
            }
            ("so", "far", "this") if w(3) == "year" => (take, window) = (4, Some((ymd(today.year(), 1, 1)?, tomorrow))),
            (_, "week", _) if relative && w(0) != "the" => {
                let monday = today.week(Weekday::Mon).first_day();
                (take, window) = (2, Some((monday - Days::new(7), monday)));
            }
            (_, "month", _) if relative && w(0) != "the" => (take, window) = (2, Some((this_month - Months::new(1), this_month))),
            (_, "quarter", _) if relative && w(0) != "the" => {
                let q = quarter_start(today);
                (take, window) = (2, Some((q - Months::new(3), q)));
            }
            (_, "year", _) if relative && w(0) != "the" => {
                (take, window) = (2, Some((ymd(today.year() - 1, 1, 1)?, ymd(today.year(), 1, 1)?)));
            }
            ("last" | "past" | "previous" | "prior", count, unit) if number(count).is_some_and(|c| c > 0) => {
                let c = number(count)?;
                let unit = unit.trim_end_matches('s');
                take = 3;
                // Checked: "the last 100000000 months" reaches before any date there is, and is
                // then not a window (said as not understood), never a panic.
                window = match unit {
                    "day" => today.checked_sub_days(Days::new(u64::from(c) - 1)).map(|s| (s, tomorrow)),
                    "week" => {
                        let monday = today.week(Weekday::Mon).first_day();
                        monday.checked_sub_days(Days::new(7 * u64::from(c))).map(|s| (s, monday))
                    }
                    "month" => this_month.checked_sub_months(Months::new(c)).map(|s| (s, this_month)),
                    "quarter" => {
                        let q = quarter_start(today);
                        q.checked_sub_months(Months::new(c.saturating_mul(3))).map(|s| (s, q))
                    }
                    "year" => i32::try_from(c).ok().and_then(|c| today.year().checked_sub(c)).and_then(|y| Some((ymd(y, 1, 1)?, ymd(today.year(), 1, 1)?))),
                    _ => None,
                };
            }
            (q, y, _) if q.len() == 2 && q.starts_with('q') && matches!(q.as_bytes()[1], b'1'..=b'4') => {
                let quarter = u32::from(q.as_bytes()[1] - b'0');
                let (year, used) = match year_of(y) {
                    Some(y) => (y, 2),
                    None => (latest_year_for_month((quarter - 1) * 3 + 1, today), 1),
                };
                let s = ymd(year, (quarter - 1) * 3 + 1, 1)?;
                (take, window) = (used, Some((s, s + Months::new(3))));
            }
            (ord, "quarter", _) if ORDINALS.contains(&ord) => {
                let quarter = ORDINALS.iter().position(|o| *o == ord)? as u32 + 1;
                let (year, used) = match (w(2), year_of(w(3))) {
                    ("of" | "in", Some(y)) => (y, 4),
                    _ => match year_of(w(2)) {
                        Some(y) => (y, 3),
                        None => (latest_year_for_month((quarter - 1) * 3 + 1, today), 2),
                    },
                };
                let s = ymd(year, (quarter - 1) * 3 + 1, 1)?;
                (take, window) = (used, Some((s, s + Months::new(3))));
            }
            ("since", m, y) if month_number(m).is_some() => {
                let month = month_number(m)?;
                let (year, used) = match year_of(y) {
                    Some(y) => (y, 3),
                    None => (latest_year_for_month(month, today), 2),
                };
                (take, window) = (used, Some((ymd(year, month, 1)?, tomorrow)));
            }
            // "from 1940 to 1945", "between 2019 and 2021": whole years, both included.
            ("between" | "from", a, "and" | "to" | "through" | "until" | "till")
                if year_of(a).is_some() && year_of(w(3)).is_some_and(|b| b >= year_of(a).unwrap_or(i32::MAX)) =>
            {
                (take, window) = (4, Some((ymd(year_of(a)?, 1, 1)?, ymd(year_of(w(3))? + 1, 1, 1)?)));
            }
            (a, "to" | "through" | "until" | "till", b)
                if year_of(a).is_some() && year_of(b).is_some_and(|b| b > year_of(a).unwrap_or(i32::MAX)) =>
            {
                (take, window) = (3, Some((ymd(year_of(a)?, 1, 1)?, ymd(year_of(b)? + 1, 1, 1)?)));
            }
            ("since", y, _) if year_of(y).is_some() => (take, window) = (2, Some((ymd(year_of(y)?, 1, 1)?, tomorrow))),
            ("between" | "from", a, "and" | "to" | "through" | "until") if month_number(a).is_some() && month_number(w(3)).is_some() => {
                let (ma, mb) = (month_number(a)?, month_number(w(3))?);
                let (year_b, used) = match year_of(w(4)) {
                    Some(y) => (y, 5),
                    None => (latest_year_for_month(mb, today), 4),
                };
                let year_a = if ma <= mb { year_b } else { year_b - 1 };
                (take, window) = (used, Some((ymd(year_a, ma, 1)?, ymd(year_b, mb, 1)? + Months::new(1))));
            }
            (m, y, _) if month_number(m).is_some() && (year_of(y).is_some() || (y == "of" && year_of(w(2)).is_some())) => {
                let year = year_of(y).or_else(|| year_of(w(2)))?;
                (take, window) = (if y == "of" { 3 } else { 2 }, month_window(year, month_number(m)?));
            }
            (m, _, _)
                // "in May" is the month ("may" alone is a verb); other abbreviations need 4 letters.
                if month_number(m).is_some() && (m.len() >= 4 || m == "may") && (i > 0 && matches!(words.get(i - 1), Some("in" | "for" | "during"))) =>
            {
                let month = month_number(m)?;
                (take, window) = (1, month_window(latest_year_for_month(month, today), month));
            }
            (y, _, _)
                if year_of(y).is_some()
                    && (i > 0 && matches!(words.get(i - 1), Some("in" | "for" | "during" | "of")) || n == 1 || i + 1 == n)
                    // "between 1000 and 2000", "more than 2000": an amount, not a year.
                    && !(i > 0
                        && matches!(
                            words.get(i - 1),
                            Some("and" | "than" | "to" | "over" | "under" | "above" | "below" | "least" | "most" | "exceeding" | "top" | "first")
                        )) =>
            {
                let year = year_of(y)?;
                (take, window) = (1, Some((ymd(year, 1, 1)?, ymd(year + 1, 1, 1)?)));
            }
            (d, _, _) if d.len() == 10 && d.parse::<NaiveDate>().is_ok() => {
                let start: NaiveDate = d.parse().ok()?;
                if matches!(w(1), "to" | "and" | "until" | "through") && w(2).parse::<NaiveDate>().is_ok() {
                    let end: NaiveDate = w(2).parse().ok()?;
                    (take, window) = (3, Some((start, end.succ_opt()?)));
                } else {
                    (take, window) = (1, Some((start, start.succ_opt()?)));
                }
            }
            _ => {}
        }
        if let Some((start, end)) = window {
            // Swallow a leading "in"/"for"/"during"/"over the"/"from" that belonged to the expression.
            let mut from = i;
            while from > 0
                && matches!(
                    words.get(from - 1),
                    Some("in" | "for" | "during" | "over" | "the" | "from" | "within")
                )
                && !words.used(from - 1)
            {
                from -= 1;
            }
            let said = (i..i + take)
                .filter_map(|k| words.get(k))
                .collect::<Vec<_>>()
                .join(" ");
            for k in from..i + take {
                words.mark(k);
            }
            return Some(Window {
                start,
                end,
                meaning: describe(start, end),
                said,
            });
        }
    }
    None
}

/// The most recent year in which `month` has started by `today` ("since June" in May means last June).
fn latest_year_for_month(month: u32, today: NaiveDate) -> i32 {
    if month <= today.month() {
        today.year()
    } else {
        today.year() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_past_the_end_of_the_data_is_called_partial() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let window = |start: &str, end: &str| Window {
            start: d(start),
            end: d(end),
            said: String::new(),
            meaning: describe(d(start), d(end)),
        };
        let june = window("2026-06-01", "2026-07-01");
        assert_eq!(
            partial_note(&june, d("2026-06-12")).as_deref(),
            Some("Your data ends 12 June 2026, so June 2026 is partial.")
        );
        assert_eq!(partial_note(&june, d("2026-06-30")), None, "June is whole");
        assert_eq!(
            partial_note(&june, d("2026-07-04")),
            None,
            "the data goes on"
        );
        assert_eq!(
            partial_note(&june, d("2026-05-31")),
            None,
            "no data in June at all"
        );
        assert_eq!(
            partial_note(&window("2026-01-01", "2027-01-01"), d("2026-11-26")).as_deref(),
            Some("Your data ends 26 November 2026, so 2026 is partial.")
        );
        let weeks = window("2026-11-16", "2026-11-30");
        assert_eq!(
            partial_note(&weeks, d("2026-11-26")),
            Some(format!(
                "Your data ends 26 November 2026, so {} is partial.",
                weeks.meaning
            ))
        );
    }

    #[track_caller]
    fn check(question: &str, want: &str) {
        let today: NaiveDate = "2026-11-26".parse().unwrap();
        let mut words = Words::new(question);
        let got =
            extract(&mut words, today).map(|w| format!("{}..{} {}", w.start, w.end, w.meaning));
        assert_eq!(got.as_deref(), Some(want), "{question}");
    }

    #[test]
    fn everyday_time_words_resolve_relative_to_today() {
        check(
            "sales last month",
            "2026-10-01..2026-11-01 1–31 October 2026",
        );
        check(
            "sales previous month",
            "2026-10-01..2026-11-01 1–31 October 2026",
        );
        check(
            "revenue this month",
            "2026-11-01..2026-11-27 1–26 November 2026",
        );
        check(
            "monthly revenue for the last 12 months",
            "2025-11-01..2026-11-01 1 November 2025 – 31 October 2026",
        );
        check(
            "orders last week",
            "2026-11-16..2026-11-23 16–22 November 2026",
        );
        check(
            "orders this week",
            "2026-11-23..2026-11-27 23–26 November 2026",
        );
        check(
            "daily revenue for the last 7 days",
            "2026-11-20..2026-11-27 20–26 November 2026",
        );
        check(
            "total revenue this year",
            "2026-01-01..2026-11-27 1 January – 26 November 2026",
        );
        check(
            "revenue so far this year",
            "2026-01-01..2026-11-27 1 January – 26 November 2026",
        );
        check(
            "revenue ytd",
            "2026-01-01..2026-11-27 1 January – 26 November 2026",
        );
        check(
            "revenue by channel last year",
            "2025-01-01..2026-01-01 1 January – 31 December 2025",
        );
        check(
            "profit last quarter",
            "2026-07-01..2026-10-01 1 July – 30 September 2026",
        );
        check(
            "profit this quarter",
            "2026-10-01..2026-11-27 1 October – 26 November 2026",
        );
        check(
            "profit by category in 2025",
            "2025-01-01..2026-01-01 1 January – 31 December 2025",
        );
        check(
            "revenue in March 2026",
            "2026-03-01..2026-04-01 1–31 March 2026",
        );
        check(
            "revenue in Q3 2025",
            "2025-07-01..2025-10-01 1 July – 30 September 2025",
        );
        check(
            "revenue in the third quarter of 2025",
            "2025-07-01..2025-10-01 1 July – 30 September 2025",
        );
        check(
            "sales since june",
            "2026-06-01..2026-11-27 1 June – 26 November 2026",
        );
        check(
            "sales between may and july",
            "2026-05-01..2026-08-01 1 May – 31 July 2026",
        );
        check(
            "sales between november and january",
            "2025-11-01..2026-02-01 1 November 2025 – 31 January 2026",
        );
        check(
            "sales in december",
            "2025-12-01..2026-01-01 1–31 December 2025",
        );
        check("sales yesterday", "2026-11-25..2026-11-26 25 November 2026");
        check(
            "sales last 3 quarters",
            "2026-01-01..2026-10-01 1 January – 30 September 2026",
        );
        check(
            "orders from 2026-01-05 to 2026-01-10",
            "2026-01-05..2026-01-11 5–10 January 2026",
        );
    }
}
