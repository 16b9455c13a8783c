//! Money: whole nano-dollars (10⁻⁹ USD) in an `i64`, for every amount Plainsight adds up, stores
//! or holds against a limit: what an AI call, an embedding or a sandbox run cost, the budget's
//! limits and ledger, the history and the answer cache.
//!
//! A provider's decimal figure (`usage.cost` 0.00748) is exactly 7,480,000 nano-dollars, so sums
//! and comparisons are exact and need no tolerance. An amount becomes dollars (`f64`) only where
//! it is shown or written as JSON, with [`dollars`], which gives the nearest double to the decimal
//! amount: 7,480,000 prints as `0.00748`. An `i64` holds ±9.2 billion dollars.

/// Nano-dollars in one dollar.
pub const NANOS_PER_USD: i64 = 1_000_000_000;

/// The nearest whole nano-dollar to `usd` (a price, an estimate or a provider's figure). Not a
/// number is 0; amounts beyond an `i64` stop at its ends.
pub fn nanos(usd: f64) -> i64 {
    // `as` saturates and maps NaN to 0, which is what an amount out of range should become.
    #[allow(clippy::cast_possible_truncation)]
    let n = (usd * 1e9).round() as i64;
    n
}

/// Nano-dollars as dollars, for display and JSON only: the nearest `f64` to the decimal amount
/// (one correctly rounded division), which [`nanos`] turns back into the same integer for any
/// amount under a million dollars.
pub fn dollars(nanos: i64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let d = nanos as f64 / 1e9;
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_amounts_convert_and_add_up_exactly() {
        assert_eq!(nanos(0.00748), 7_480_000);
        assert_eq!(dollars(nanos(0.00748)), 0.00748);
        assert_eq!(format!("{}", dollars(nanos(0.00748))), "0.00748");
        assert_eq!(serde_json::json!(dollars(7_480_000)).to_string(), "0.00748");
        assert_eq!(
            dollars(nanos(0.1) + nanos(0.2)),
            0.3,
            "not 0.30000000000000004"
        );
        assert_eq!(dollars(nanos(0.001) + nanos(0.00648)), 0.00748);
        assert_eq!(nanos(5.0), 5 * NANOS_PER_USD);
        assert_eq!(
            (nanos(f64::NAN), nanos(f64::INFINITY), nanos(-f64::INFINITY)),
            (0, i64::MAX, i64::MIN)
        );
        // Every amount under a million dollars comes back as itself.
        for n in [1_i64, 7, 999_999_999, 1_234_567_891, 999_999_999_999_999] {
            assert_eq!(nanos(dollars(n)), n, "{n}");
        }
    }
}
