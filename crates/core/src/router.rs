//! The confidence router: what to do with a planned question.
//!
//! Pure thresholds, no I/O: `answer` at confidence ≥ 0.8, `clarify` between 0.3 and 0.8 (offer up
//! to three concrete rephrasings), `fallback` below 0.3 (say what can be answered instead), and
//! `refused` for any request to change data, whatever the confidence.

/// Where a question goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Answer,
    Clarify,
    Fallback,
    Refused,
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answer => "answer",
            Self::Clarify => "clarify",
            Self::Fallback => "fallback",
            Self::Refused => "refused",
        }
    }
}

/// Router thresholds (settings later; these are the defaults).
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub answer: f64,
    pub clarify: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self { answer: 0.8, clarify: 0.3 }
    }
}

/// Routes a question from the planner's confidence and whether it asks to change data.
pub fn route(confidence: f64, wants_change: bool, t: Thresholds) -> Route {
    if wants_change {
        Route::Refused
    } else if confidence >= t.answer {
        Route::Answer
    } else if confidence >= t.clarify {
        Route::Clarify
    } else {
        Route::Fallback
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_split_the_routes() {
        let t = Thresholds::default();
        let cases = [
            (0.95, false, Route::Answer),
            (0.8, false, Route::Answer),
            (0.79, false, Route::Clarify),
            (0.3, false, Route::Clarify),
            (0.29, false, Route::Fallback),
            (0.0, false, Route::Fallback),
            (1.0, true, Route::Refused),
        ];
        for (confidence, change, want) in cases {
            assert_eq!(route(confidence, change, t), want, "confidence {confidence}, change {change}");
        }
    }
}
