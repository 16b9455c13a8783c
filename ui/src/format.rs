//! How values read in the table: `12,345.67` for amounts, `1,204` for counts, dates as they are.

use plainsight_ipc::CostSource;
use serde_json::Value;

/// How one column's cells are written, decided once from all of its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnFormat {
    Text,
    /// Whole numbers with thousands separators.
    Count,
    /// Any fractional value in the column: every cell gets two decimals so they line up.
    Amount,
    /// Years and ids: numbers, but `2,026` would misread.
    Plain,
    /// Money (revenue, prices, costs…): the currency's symbol and two decimals.
    Money(&'static str),
    /// A percentage (`percent_of_total`, `share`): one decimal and `%`.
    Percent,
}

/// Words in a column's name that say it holds money.
const MONEY_WORDS: [&str; 17] = [
    "revenue", "sales", "price", "cost", "amount", "profit", "spend", "spent", "income", "payment",
    "fee", "tax", "discount", "salary", "budget", "balance", "total",
];

/// A currency's symbol as it is written before an amount.
pub fn currency_symbol(code: &str) -> Option<&'static str> {
    Some(match code {
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "CAD" => "CA$",
        "AUD" => "A$",
        "CHF" => "CHF ",
        "JPY" => "¥",
        "INR" => "₹",
        _ => return None,
    })
}

/// The currency a language tag's region uses (`en-GB` → GBP, `de-DE` → EUR); dollars otherwise.
pub fn currency_of_locale(tag: &str) -> &'static str {
    let region = tag
        .split(['-', '_'])
        .nth(1)
        .unwrap_or_default()
        .to_ascii_uppercase();
    match region.as_str() {
        "GB" | "UK" => "GBP",
        "DE" | "FR" | "ES" | "IT" | "NL" | "IE" | "AT" | "BE" | "FI" | "PT" | "GR" | "LU"
        | "SK" | "SI" | "EE" | "LV" | "LT" | "MT" | "CY" | "HR" => "EUR",
        "CA" => "CAD",
        "AU" => "AUD",
        "CH" => "CHF",
        "JP" => "JPY",
        "IN" => "INR",
        _ => "USD",
    }
}

impl ColumnFormat {
    pub fn is_numeric(self) -> bool {
        self != Self::Text
    }
}

/// How a column reads, from its name and all of its values; `currency` is the symbol for money
/// columns (none: amounts as plain numbers).
pub fn column_format<'a>(
    name: &str,
    mut values: impl Iterator<Item = &'a Value> + Clone,
    currency: Option<&'static str>,
) -> ColumnFormat {
    let present = values.clone().filter(|v| !v.is_null());
    if present.clone().next().is_none() || !present.clone().all(Value::is_number) {
        return ColumnFormat::Text;
    }
    let lower = name.to_ascii_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    if lower == "year" || lower == "id" || lower.ends_with("_id") {
        ColumnFormat::Plain
    } else if words
        .iter()
        .any(|w| matches!(*w, "percent" | "percentage" | "pct" | "share"))
    {
        ColumnFormat::Percent
    } else if let Some(symbol) = currency.filter(|_| {
        words.iter().any(|w| {
            MONEY_WORDS
                .iter()
                .any(|m| *w == *m || w.strip_suffix('s') == Some(m))
        }) && !words.iter().any(|w| {
            matches!(
                *w,
                "count" | "number" | "quantity" | "qty" | "orders" | "units"
            )
        })
    }) {
        ColumnFormat::Money(symbol)
    } else if values.any(|v| v.as_f64().is_some_and(|f| f.fract() != 0.0)) {
        ColumnFormat::Amount
    } else {
        ColumnFormat::Count
    }
}

pub fn cell(value: &Value, format: ColumnFormat) -> String {
    match (value, format) {
        (Value::Null, _) => "—".into(),
        (Value::String(s), _) => s.clone(),
        (Value::Number(n), ColumnFormat::Count) => number(n.as_f64().unwrap_or(0.0), 0),
        (Value::Number(n), ColumnFormat::Amount) => number(n.as_f64().unwrap_or(0.0), 2),
        (Value::Number(n), ColumnFormat::Percent) => {
            format!("{}%", number(n.as_f64().unwrap_or(0.0), 1))
        }
        (Value::Number(n), ColumnFormat::Money(symbol)) => {
            let v = n.as_f64().unwrap_or(0.0);
            let text = number(v.abs(), 2);
            if v < 0.0 && text != "0.00" {
                format!("-{symbol}{text}")
            } else {
                format!("{symbol}{text}")
            }
        }
        (other, _) => other.to_string(),
    }
}

/// `1234567.891` with 2 decimals → `1,234,567.89`.
pub fn number(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(w, f)| (w, Some(f)));
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3 + 4);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if let Some(fraction) = fraction {
        grouped.push('.');
        grouped.push_str(fraction);
    }
    let is_zero = text.chars().all(|c| c == '0' || c == '.');
    if value < 0.0 && !is_zero {
        grouped.insert(0, '-');
    }
    grouped
}

/// `1 row`, `1,204 rows`.
pub fn rows(count: u64) -> String {
    if count == 1 {
        "1 row".into()
    } else {
        #[allow(clippy::cast_precision_loss, reason = "row counts stay far below 2^52")]
        let count = count as f64;
        format!("{} rows", number(count, 0))
    }
}

/// `order_date` → `Order date`: column names as a person would write them.
pub fn heading(column: &str) -> String {
    let spaced = column.replace('_', " ");
    let mut chars = spaced.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// An amount of money: `$0.0042` under a cent (AI calls cost fractions of one), `$7.50` from a
/// cent up (and nothing as `$0.00`), `<$0.0001` for less than the smallest step shown.
pub fn usd(value: f64) -> String {
    usd_with(
        value,
        if value != 0.0 && value.abs() < 0.01 {
            4
        } else {
            2
        },
    )
}

fn usd_with(value: f64, decimals: usize) -> String {
    if value > 0.0 && value < 0.0001 {
        "<$0.0001".into()
    } else {
        format!("${}", number(value, decimals))
    }
}

/// An AI cost estimate, "$0.0042" and "$0.0600": both with the precision the smaller one needs,
/// so the two read alike side by side.
pub fn estimate(about_usd: f64, at_most_usd: f64) -> (String, String) {
    let decimals = if about_usd.min(at_most_usd).abs() < 0.01 {
        4
    } else {
        2
    };
    (
        usd_with(about_usd, decimals),
        usd_with(at_most_usd, decimals),
    )
}

/// What the answer cost, in words, with its parts: "Cost: $0.0025 (prompt $0.0024, completion
/// $0.0001)". Parts that cost nothing are left out.
pub fn cost(total_usd: f64, source: CostSource, parts: &[(String, f64)]) -> String {
    let head = match source {
        CostSource::Offline => return "Answered offline — no cost".into(),
        CostSource::Estimate => format!("Estimated cost: ${total_usd:.4}"),
        CostSource::Provider => format!("Cost: ${total_usd:.4}"),
    };
    let shown: Vec<String> = parts
        .iter()
        .filter(|(_, usd)| *usd > 0.0)
        .map(|(item, usd)| {
            if *usd < 0.0001 {
                format!("{item} <$0.0001")
            } else {
                format!("{item} ${usd:.4}")
            }
        })
        .collect();
    if shown.is_empty() {
        head
    } else {
        format!("{head} ({})", shown.join(", "))
    }
}

// The ui crate is built for wasm32 only, so the test command does not run these; they run with
// `cargo test -p plainsight-ui` on the host. (Moving this module into the wasm-safe
// plainsight-ipc crate would put them in the default `cargo test`.)
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_read_like_money() {
        let cases = [
            (1234567.891, 2, "1,234,567.89"),
            (1204.0, 0, "1,204"),
            (-5.5, 2, "-5.50"),
            (0.0, 2, "0.00"),
            (-0.001, 2, "0.00"),
            (999.999, 2, "1,000.00"),
        ];
        for (value, decimals, expected) in cases {
            assert_eq!(
                number(value, decimals),
                expected,
                "{value} with {decimals} decimals"
            );
        }
    }

    #[test]
    fn a_column_is_formatted_as_a_whole() {
        let values = [json!(10), json!(2.5)];
        assert_eq!(
            column_format("revenue", values.iter(), None),
            ColumnFormat::Amount
        );
        assert_eq!(
            column_format("orders", [json!(10), json!(null)].iter(), Some("$")),
            ColumnFormat::Count
        );
        assert_eq!(
            column_format("year", [json!(2026)].iter(), Some("$")),
            ColumnFormat::Plain
        );
        assert_eq!(
            column_format("region", [json!("North")].iter(), Some("$")),
            ColumnFormat::Text
        );
        assert_eq!(cell(&json!(10), ColumnFormat::Amount), "10.00");
    }

    #[test]
    fn money_columns_show_the_currency_and_shares_a_percent_sign() {
        let values = [json!(87094.8545), json!(-5)];
        let money = column_format("revenue", values.iter(), Some("€"));
        assert_eq!(money, ColumnFormat::Money("€"));
        assert_eq!(cell(&json!(87094.8545), money), "€87,094.85");
        assert_eq!(cell(&json!(-5), money), "-€5.00");
        assert_eq!(
            column_format("average_unit_price", values.iter(), Some("$")),
            ColumnFormat::Money("$")
        );
        assert_eq!(
            column_format("order_count", [json!(3)].iter(), Some("$")),
            ColumnFormat::Count,
            "a count is not money"
        );
        let share = column_format("percent_of_total", [json!(40.04)].iter(), Some("$"));
        assert_eq!(cell(&json!(40.04), share), "40.0%");
        assert_eq!(currency_of_locale("en-GB"), "GBP");
        assert_eq!(currency_of_locale("de-DE"), "EUR");
        assert_eq!(currency_of_locale("en"), "USD");
        assert_eq!(currency_symbol("none"), None);
    }

    #[test]
    fn money_shows_fractions_of_a_cent() {
        let cases = [
            (0.0042, "$0.0042"),
            (0.06, "$0.06"),
            (7.5, "$7.50"),
            (1234.5, "$1,234.50"),
            (0.0, "$0.00"),
            (0.00004, "<$0.0001"),
        ];
        for (value, expected) in cases {
            assert_eq!(usd(value), expected, "{value}");
        }
        assert_eq!(estimate(0.0042, 0.06), ("$0.0042".into(), "$0.0600".into()));
        assert_eq!(estimate(0.12, 0.6), ("$0.12".into(), "$0.60".into()));
    }

    #[test]
    fn row_counts_read_as_words() {
        assert_eq!(rows(0), "0 rows");
        assert_eq!(rows(1), "1 row");
        assert_eq!(rows(1204), "1,204 rows");
    }
}
