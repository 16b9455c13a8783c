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
    /// A spending control stopped it (budget spent, approval needed, provider paused).
    Blocked,
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answer => "answer",
            Self::Clarify => "clarify",
            Self::Fallback => "fallback",
            Self::Refused => "refused",
            Self::Blocked => "blocked",
        }
    }
}

/// Router thresholds: defaults, or from `CONFIDENCE_ROUTE_THRESHOLD` and `CONFIDENCE_FALLBACK_THRESHOLD`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub answer: f64,
    pub clarify: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self { answer: 0.8, clarify: 0.3 }
    }
}

impl Thresholds {
    /// Thresholds from settings text (`None` keeps the default); both in 0..=1, fallback ≤ route.
    pub fn parse(route: Option<&str>, fallback: Option<&str>) -> Result<Self, String> {
        let d = Self::default();
        let num = |name: &str, v: Option<&str>, default: f64| -> Result<f64, String> {
            match v {
                None => Ok(default),
                Some(s) => match s.trim().parse::<f64>() {
                    Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
                    _ => Err(format!("{name} must be a number from 0 to 1, not {s:?}")),
                },
            }
        };
        let answer = num("CONFIDENCE_ROUTE_THRESHOLD", route, d.answer)?;
        let clarify = num("CONFIDENCE_FALLBACK_THRESHOLD", fallback, d.clarify)?;
        if clarify > answer {
            return Err(format!("CONFIDENCE_FALLBACK_THRESHOLD ({clarify}) must not be above CONFIDENCE_ROUTE_THRESHOLD ({answer})"));
        }
        Ok(Self { answer, clarify })
    }
}

/// Who writes the code for a routed question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// The offline planner's own plan (or its clarify/fallback reply): free, instant, private.
    Planner,
    /// The LLM provider.
    Llm,
}

/// The one decision between the offline plan and the LLM. A request to change data never goes
/// anywhere; with no usable LLM (no key, circuit open, budget spent) or `--offline`, the
/// planner's route stands; `Always` sends everything else to the LLM; `Auto` keeps confident
/// plans local (zero cost) and sends the questions the planner would clarify or fall back on.
pub fn engine(route: Route, mode: crate::pipeline::AiMode, llm_ready: bool) -> Engine {
    use crate::pipeline::AiMode;
    match (route, mode) {
        (Route::Refused | Route::Blocked, _) | (_, AiMode::Never) => Engine::Planner,
        _ if !llm_ready => Engine::Planner,
        (_, AiMode::Always) => Engine::Llm,
        (Route::Answer, AiMode::Auto) => Engine::Planner,
        (Route::Clarify | Route::Fallback, AiMode::Auto) => Engine::Llm,
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

    #[test]
    fn thresholds_come_from_settings_and_are_checked() {
        assert_eq!(Thresholds::parse(None, None), Ok(Thresholds::default()));
        assert_eq!(Thresholds::parse(Some("0.9"), Some(" 0.4 ")), Ok(Thresholds { answer: 0.9, clarify: 0.4 }));
        assert!(Thresholds::parse(Some("high"), None).unwrap_err().contains("CONFIDENCE_ROUTE_THRESHOLD must be a number"));
        assert!(Thresholds::parse(Some("1.5"), None).is_err());
        assert!(Thresholds::parse(Some("0.5"), Some("0.6")).unwrap_err().contains("must not be above"));
        let strict = Thresholds::parse(Some("0.99"), None).unwrap();
        assert_eq!(route(0.95, false, strict), Route::Clarify, "a stricter threshold sends a 0.95 plan to clarify");
    }

    #[test]
    fn confident_plans_stay_local_and_the_rest_go_to_a_ready_llm() {
        use crate::pipeline::AiMode::{Always, Auto, Never};
        assert_eq!(engine(Route::Answer, Auto, true), Engine::Planner, "free and instant when the planner is sure");
        assert_eq!(engine(Route::Clarify, Auto, true), Engine::Llm);
        assert_eq!(engine(Route::Fallback, Auto, true), Engine::Llm);
        assert_eq!(engine(Route::Clarify, Auto, false), Engine::Planner, "no key, open circuit or spent budget: offline");
        assert_eq!(engine(Route::Answer, Always, true), Engine::Llm);
        assert_eq!(engine(Route::Fallback, Never, true), Engine::Planner);
        for mode in [Auto, Always, Never] {
            assert_eq!(engine(Route::Refused, mode, true), Engine::Planner, "writes are never sent anywhere");
        }
    }
}
