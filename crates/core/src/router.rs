//! The confidence router: what to do with a planned question.
//!
//! Pure thresholds, no I/O. The planner reads; [`decide`] chooses, with the configured
//! [`Thresholds`] (defaults 0.8 / 0.3): `answer` at or above the route threshold (when the plan
//! has SQL), `clarify` down to the fallback threshold (say what was unsure and offer up to three
//! of the planner's rephrasings that would themselves be answered), `fallback` below it (say
//! what this data can answer instead), and `refused` for any request to change data, whatever the
//! confidence. `blocked` is the route of a question a spending control stopped, set where the AI
//! would be asked ([`crate::pipeline`]).

use crate::planner::{Doubt, Plan};

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
        Self {
            answer: 0.8,
            clarify: 0.3,
        }
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

/// What the router decided for a plan: where it goes, what to say and what to offer.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub route: Route,
    pub message: String,
    /// The rephrasings to offer (clarify only): each would be answered at these thresholds.
    pub options: Vec<String>,
}

/// The most rephrasings a clarification offers.
const MAX_OPTIONS: usize = 3;

/// The answer to a request to change data.
const REFUSED: &str = "Plainsight only reads your data; it never changes or deletes it. Ask a question about it instead, for example \"how many orders were refunded last month\".";

/// Decides a plan with the configured thresholds: the route, and the message and options that
/// go with it. A plan without SQL is never an answer: it is clarified (or falls back) instead.
pub fn decide(plan: &Plan, t: Thresholds) -> Decision {
    let mut route = route(plan.confidence, plan.wants_change, t);
    if route == Route::Answer && plan.sql.is_none() {
        route = Route::Clarify;
    }
    // Offered only what would be answered as it is offered, and never the question itself.
    let answerable: Vec<String> = plan
        .rephrasings
        .iter()
        .filter(|r| r.confidence >= t.answer)
        .map(|r| r.question.clone())
        .take(MAX_OPTIONS)
        .collect();
    let (message, options) = match route {
        Route::Answer => (String::new(), Vec::new()),
        Route::Refused => (REFUSED.to_string(), Vec::new()),
        Route::Clarify => (
            clarify_message(plan.doubt, !answerable.is_empty()),
            answerable,
        ),
        // A spending control blocks a question later, with its own words; never from a plan.
        Route::Blocked => (String::new(), Vec::new()),
        Route::Fallback => {
            let example = answerable
                .first()
                .map(|q| format!(", for example \"{q}\""))
                .unwrap_or_default();
            (
                format!(
                    "I can't answer that from this data. I can answer questions about {}{example}.",
                    plan.topics
                ),
                Vec::new(),
            )
        }
    };
    Decision {
        route,
        message,
        options,
    }
}

/// What a clarification says: what was unsure, then how to go on.
fn clarify_message(doubt: Doubt, offered: bool) -> String {
    let (unsure, pick) = match doubt {
        Doubt::Words | Doubt::Data => (
            "I'm not sure I understood all of that.",
            "Did you mean one of these?",
        ),
        Doubt::Figure => (
            "Which figures would you like to see?",
            "Pick one of these or rephrase.",
        ),
        Doubt::Table => (
            "I could not find one table that answers all of that.",
            "Did you mean one of these?",
        ),
    };
    let next = if offered {
        pick
    } else {
        "Try rephrasing the question."
    };
    format!("{unsure} {next}")
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
pub fn engine(route: Route, mode: AiMode, llm_ready: bool) -> Engine {
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

/// Whether questions the planner is unsure of go to an LLM (once one is configured).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AiMode {
    #[default]
    Auto,
    Always,
    Never,
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
            assert_eq!(
                route(confidence, change, t),
                want,
                "confidence {confidence}, change {change}"
            );
        }
    }

    #[test]
    fn thresholds_come_from_settings_and_are_checked() {
        assert_eq!(Thresholds::parse(None, None), Ok(Thresholds::default()));
        assert_eq!(
            Thresholds::parse(Some("0.9"), Some(" 0.4 ")),
            Ok(Thresholds {
                answer: 0.9,
                clarify: 0.4
            })
        );
        assert!(Thresholds::parse(Some("high"), None)
            .unwrap_err()
            .contains("CONFIDENCE_ROUTE_THRESHOLD must be a number"));
        assert!(Thresholds::parse(Some("1.5"), None).is_err());
        assert!(Thresholds::parse(Some("0.5"), Some("0.6"))
            .unwrap_err()
            .contains("must not be above"));
        let strict = Thresholds::parse(Some("0.99"), None).unwrap();
        assert_eq!(
            route(0.95, false, strict),
            Route::Clarify,
            "a stricter threshold sends a 0.95 plan to clarify"
        );
    }

    fn plan(confidence: f64, sql: bool, doubt: Doubt, rephrasings: &[(&str, f64)]) -> Plan {
        Plan {
            sql: sql.then(|| "SELECT 1".to_string()),
            confidence,
            interpretation: String::new(),
            wants_change: false,
            rephrasings: rephrasings
                .iter()
                .map(|(q, c)| Rephrasing {
                    question: q.to_string(),
                    confidence: *c,
                })
                .collect(),
            doubt,
            topics: "revenue, profit".into(),
            title: String::new(),
            mappings: Vec::new(),
            slots: Vec::new(),
            freshness: None,
        }
    }

    use crate::planner::Rephrasing;

    #[test]
    fn the_router_chooses_message_and_options_with_the_configured_thresholds() {
        let offered = [
            ("total revenue", 0.95),
            ("revenue by month", 0.85),
            ("revenue by city", 0.5),
            ("profit by region", 0.95),
        ];
        let strict = Thresholds {
            answer: 0.9,
            clarify: 0.3,
        };
        let d = Thresholds::default();
        let cases: [(Plan, Thresholds, Route, &str, &[&str]); 9] = [
            (plan(0.95, true, Doubt::Words, &offered), d, Route::Answer, "", &[]),
            (plan(0.85, true, Doubt::Words, &offered), d, Route::Answer, "", &[]),
            (
                plan(0.85, true, Doubt::Words, &offered),
                strict,
                Route::Clarify,
                "I'm not sure I understood all of that. Did you mean one of these?",
                &["total revenue", "profit by region"],
            ),
            (
                plan(0.6, true, Doubt::Words, &offered),
                d,
                Route::Clarify,
                "I'm not sure I understood all of that. Did you mean one of these?",
                &["total revenue", "revenue by month", "profit by region"],
            ),
            (
                plan(0.5, false, Doubt::Figure, &offered),
                d,
                Route::Clarify,
                "Which figures would you like to see? Pick one of these or rephrase.",
                &["total revenue", "revenue by month", "profit by region"],
            ),
            (
                plan(0.45, false, Doubt::Table, &[]),
                d,
                Route::Clarify,
                "I could not find one table that answers all of that. Try rephrasing the question.",
                &[],
            ),
            (
                plan(0.45, false, Doubt::Table, &offered),
                Thresholds { answer: 0.4, clarify: 0.3 },
                Route::Clarify,
                "I could not find one table that answers all of that. Did you mean one of these?",
                &["total revenue", "revenue by month", "revenue by city"],
            ),
            (
                plan(0.1, false, Doubt::Data, &offered),
                strict,
                Route::Fallback,
                "I can't answer that from this data. I can answer questions about revenue, profit, for example \"total revenue\".",
                &[],
            ),
            (
                plan(0.2, true, Doubt::Words, &[("revenue by city", 0.5)]),
                d,
                Route::Fallback,
                "I can't answer that from this data. I can answer questions about revenue, profit.",
                &[],
            ),
        ];
        for (i, (p, t, route, message, options)) in cases.into_iter().enumerate() {
            let got = decide(&p, t);
            assert_eq!(
                (
                    got.route,
                    got.message.as_str(),
                    got.options
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .as_slice()
                ),
                (route, message, options),
                "case {i}: {p:?} at {t:?}"
            );
        }
        let mut change = plan(1.0, false, Doubt::Words, &offered);
        change.wants_change = true;
        let refused = decide(&change, d);
        assert_eq!(refused.route, Route::Refused);
        assert!(
            refused.message.contains("never changes or deletes it") && refused.options.is_empty(),
            "{refused:?}"
        );
    }

    /// The sample database's planner reads "by region last month" at 0.85 (the figure implied):
    /// with "answer offline at" 0.9 it is a clarification with a message and options that are
    /// themselves answered at 0.9.
    #[test]
    fn a_stricter_route_threshold_clarifies_with_a_message_and_options() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        let today: chrono::NaiveDate = "2026-11-26".parse().unwrap();
        crate::sample::generate(&mut conn, today, 800).unwrap();
        let planner = crate::planner::Planner::new(
            &crate::schema::introspect(&conn).unwrap(),
            crate::source::Dialect::Sqlite,
        );
        let strict = Thresholds::parse(Some("0.9"), None).unwrap();
        let plan = planner.plan("by region last month", today);
        assert!((0.8..0.9).contains(&plan.confidence), "{plan:?}");
        assert_eq!(
            decide(&plan, Thresholds::default()),
            Decision {
                route: Route::Answer,
                message: String::new(),
                options: Vec::new()
            }
        );
        let clarify = decide(&plan, strict);
        assert_eq!(clarify.route, Route::Clarify, "{clarify:?}");
        assert!(!clarify.message.is_empty(), "{clarify:?}");
        assert!((1..=3).contains(&clarify.options.len()), "{clarify:?}");
        for option in &clarify.options {
            assert_eq!(
                decide(&planner.plan(option, today), strict).route,
                Route::Answer,
                "{option:?} is answered at 0.9"
            );
        }
    }

    #[test]
    fn confident_plans_stay_local_and_the_rest_go_to_a_ready_llm() {
        use AiMode::{Always, Auto, Never};
        assert_eq!(
            engine(Route::Answer, Auto, true),
            Engine::Planner,
            "free and instant when the planner is sure"
        );
        assert_eq!(engine(Route::Clarify, Auto, true), Engine::Llm);
        assert_eq!(engine(Route::Fallback, Auto, true), Engine::Llm);
        assert_eq!(
            engine(Route::Clarify, Auto, false),
            Engine::Planner,
            "no key, open circuit or spent budget: offline"
        );
        assert_eq!(engine(Route::Answer, Always, true), Engine::Llm);
        assert_eq!(engine(Route::Fallback, Never, true), Engine::Planner);
        for mode in [Auto, Always, Never] {
            assert_eq!(
                engine(Route::Refused, mode, true),
                Engine::Planner,
                "writes are never sent anywhere"
            );
        }
    }
}
