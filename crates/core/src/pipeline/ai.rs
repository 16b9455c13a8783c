//! The LLM branch of [`Pipeline::ask`]: prompt → provider → repair → guard → executor, with
//! self-correction (the refusal or error, as [`super::feedback`] lets it through, goes back once,
//! at most twice) and the cost of every attempt added up.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use chrono::NaiveDate;

use super::{Answer, AskError, Cost, CostItem, CostSource, Pipeline};
use crate::executor::{ExecError, Limits};
use crate::llm::prices;
use crate::llm::prompt::{self, MAX_OUTPUT_TOKENS};
use crate::llm::provider::{ChatRequest, Completion, LlmError, LlmProvider};
use crate::llm::repair::{self, CodeLanguage, ReplyKind};
use crate::money::{dollars, nanos};
use crate::router::Route;
use crate::schema::quote_ident;

/// Rows per table sent when the person allowed sample rows.
const SAMPLE_ROWS: usize = 3;

/// Adds up what each call cost, in whole nano-dollars.
struct Spend {
    provider: crate::llm::provider::ProviderKind,
    model: String,
    base_url: String,
    /// The first call's prompt, completion and fees.
    first: Option<(i64, i64, i64)>,
    /// Every later call (self-corrections) together.
    corrections: i64,
    reported: bool,
    unpriced: bool,
}

/// Conservative prices when the table does not know the model (higher than any listed).
const UNKNOWN_PRICE: prices::Price = prices::Price {
    input_per_million: 15.0,
    output_per_million: 60.0,
    request_fee: 0.01,
};

/// Output tokens of a typical reply (one SQL query with its explanation), for the "about" figure.
const TYPICAL_OUTPUT_TOKENS: u32 = 400;

/// What a correction adds to the next request: the previous reply (at most the output cap, at
/// most 4 bytes a token) and our note about what went wrong.
const CORRECTION_BYTES: usize = MAX_OUTPUT_TOKENS as usize * 4 + 400;

fn request_bytes(request: &ChatRequest) -> usize {
    request.system.len() + request.turns.iter().map(|(_, t)| t.len()).sum::<usize>()
}

fn price_of(llm: &dyn LlmProvider) -> prices::Price {
    prices::lookup(llm.kind(), llm.model(), llm.base_url()).unwrap_or(UNKNOWN_PRICE)
}

/// An upper bound of what a request of `bytes` can cost, for the budget's reservation: every
/// byte counted as a token, the full output cap, the request fee, and every allowed retry.
fn max_for(bytes: usize, max_tokens: u32, llm: &dyn LlmProvider) -> f64 {
    let (input, output, fee) = price_of(llm).cost(bytes as u64, u64::from(max_tokens));
    (input + output + fee) * f64::from(1 + llm.max_retries())
}

/// "$0.0042", "$0.0500", "$1.20", "$0": enough digits to compare amounts under a dollar.
pub(super) fn usd(x: f64) -> String {
    if x == 0.0 {
        "$0".into()
    } else if x < 1.0 {
        format!("${x:.4}")
    } else {
        format!("${x:.2}")
    }
}

impl Spend {
    /// What one completion cost, in nano-dollars (the provider's figure, else the table's): what
    /// the budget is charged, the same amount [`Spend::add`] adds to the answer's cost.
    fn of(&self, c: &Completion) -> i64 {
        match c.usage.cost {
            Some(r) => nanos(r.total),
            None => prices::lookup(self.provider, &self.model, &self.base_url).map_or(0, |p| {
                let (i, o, f) = p.cost(c.usage.input_tokens, c.usage.output_tokens);
                nanos(i) + nanos(o) + nanos(f)
            }),
        }
    }

    fn add(&mut self, c: &Completion) {
        let (input, output, fees) = match c.usage.cost {
            Some(r) => {
                self.reported = true;
                // The provider's total is authoritative; fees are what its parts do not explain,
                // so the parts add up to exactly the provider's total.
                let (total, input, output) = (nanos(r.total), nanos(r.input), nanos(r.output));
                (input, output, (total - input - output).max(0))
            }
            None => match prices::lookup(self.provider, &self.model, &self.base_url) {
                Some(p) => {
                    let (i, o, f) = p.cost(c.usage.input_tokens, c.usage.output_tokens);
                    (nanos(i), nanos(o), nanos(f))
                }
                None => {
                    self.unpriced = true;
                    (0, 0, 0)
                }
            },
        };
        if self.first.is_none() {
            self.first = Some((input, output, fees));
        } else {
            self.corrections += input + output + fees;
        }
    }

    fn cost(&self) -> Cost {
        let Some((input, output, fees)) = self.first else {
            return Cost::none();
        };
        let mut breakdown = vec![
            CostItem {
                item: "prompt".into(),
                nanos: input,
            },
            CostItem {
                item: "completion".into(),
                nanos: output,
            },
            CostItem {
                item: "fees".into(),
                nanos: fees,
            },
        ];
        if self.corrections > 0 {
            breakdown.push(CostItem {
                item: "self-correction".into(),
                nanos: self.corrections,
            });
        }
        if self.unpriced {
            breakdown.push(CostItem {
                item: format!("no price known for {}", self.model),
                nanos: 0,
            });
        }
        // Whole nano-dollars: 0.00748 reported is 0.00748 shown, not 0.007479999999999999.
        let total_nanos = input + output + fees + self.corrections;
        Cost {
            total_nanos,
            source: if self.reported {
                CostSource::Provider
            } else {
                CostSource::Estimate
            },
            breakdown,
        }
    }
}

/// The prompt for a trace: the system text without data rows, then each turn as it was sent
/// (a correction carries only what [`super::feedback`] let through).
fn traced_input(request: &ChatRequest, system_without_rows: &str) -> String {
    let mut out = system_without_rows.to_string();
    for (user, text) in &request.turns {
        out.push_str(if *user {
            "\n\n--- user ---\n"
        } else {
            "\n\n--- assistant ---\n"
        });
        out.push_str(text);
    }
    out
}

/// What became of one reply of the AI.
pub(super) enum Applied {
    /// It answered: a table (and chart) from its code.
    Answered,
    /// It asked back or declined; the answer says so.
    Other,
    /// It could not be used, and why: only what [`super::feedback`] lets go back for a correction.
    Problem(String),
}

/// Rows as dicts, column name → value, for Python.
fn as_dicts(r: crate::executor::QueryResult) -> Vec<serde_json::Map<String, serde_json::Value>> {
    r.rows
        .into_iter()
        .map(|row| r.columns.iter().cloned().zip(row).collect())
        .collect()
}

impl Pipeline {
    /// Asks the LLM, validates and runs its code, and fills `answer`; returns the reply whose
    /// code answered (for the cache). Provider failures come back as [`AskError::Llm`] (the
    /// caller answers offline instead); the cost so far is kept in `answer` either way.
    pub(super) fn ask_llm(
        &self,
        store: &mut super::Store,
        llm: &dyn LlmProvider,
        answer: &mut Answer,
        today: NaiveDate,
        cancel: Option<&Arc<AtomicBool>>,
        approved: Option<f64>,
    ) -> Result<Option<String>, AskError> {
        let samples = self.options.send_sample_rows.then(|| self.sample_rows());
        let prompt = prompt::build(
            &self.schema,
            self.source.dialect(),
            today,
            &answer.question,
            samples.as_deref(),
        );
        // Traces carry the prompt, never data rows: without the samples when they were sent.
        let prompt_without_rows = match samples {
            Some(_) => {
                prompt::build(
                    &self.schema,
                    self.source.dialect(),
                    today,
                    &answer.question,
                    None,
                )
                .system
            }
            None => prompt.system.clone(),
        };
        let config_model = llm.model().to_string();
        let spend_init = Spend {
            provider: llm.kind(),
            model: config_model.clone(),
            base_url: llm.base_url().to_string(),
            first: None,
            corrections: 0,
            reported: false,
            unpriced: false,
        };
        let mut spend = spend_init;
        let mut turns = vec![(true, prompt.question.clone())];
        let mut receipt = prompt.receipt();
        answer.generated_by = format!("{}/{}", llm.kind().as_str(), config_model);
        // The AI reads the question its own way; the planner's word-by-word reading no longer
        // describes the answer (the offline fallback keeps its own copy).
        answer.mappings.clear();
        let attempts = 1 + usize::from(self.options.self_correct.min(2));
        let mut last_problem = String::new();
        // The budget's scopes and the question's app database, for every attempt.
        let scopes = self.budget_scopes(llm);
        let scope_refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
        let mut budget = store.for_budget().map_err(AskError::Config)?;
        // The estimate, before anything is sent: typical cost, and an upper bound over every
        // attempt, retry and sandbox run, scaled by what this model once overran.
        let margin_key = answer.generated_by.clone();
        let margin = budget
            .as_deref()
            .and_then(|db| db.estimator_margin(&margin_key).ok())
            .unwrap_or(1.0);
        let first_bytes = prompt.system.len() + prompt.question.len();
        let sandbox_max = self
            .runner
            .as_ref()
            .map_or(0.0, |r| r.max_cost_usd(crate::python::PyLimits::default()));
        let at_most = (0..attempts)
            .map(|k| {
                max_for(first_bytes + k * CORRECTION_BYTES, MAX_OUTPUT_TOKENS, llm) * margin
                    + sandbox_max
            })
            .sum();
        let about = {
            let (i, o, f) =
                price_of(llm).cost(first_bytes as u64 / 4, u64::from(TYPICAL_OUTPUT_TOKENS));
            i + o + f
        };
        answer.estimate = Some(super::Estimate {
            about_usd: about,
            at_most_usd: at_most,
        });
        // Only a known price can say a question is expensive; an unpriced model is still held to
        // the budget by its (conservative) upper bound.
        let priced = prices::lookup(llm.kind(), llm.model(), llm.base_url()).is_some();
        if let (Some(threshold), None, true) = (self.options.approval_usd, approved, priced) {
            if about > threshold {
                answer.route = Route::Blocked;
                answer.options.clear();
                // The planner's unsure reading is not what would be answered; say only what waits.
                answer.interpretation.clear();
                answer.error_kind = Some("approval_needed".into());
                answer.message = format!(
                    "This question needs the AI and would cost about {} (at most {}), more than your approval limit of {} per question. Approve it to go ahead.",
                    usd(about),
                    usd(at_most),
                    usd(threshold)
                );
                return Ok(None);
            }
        }
        // What this question has been charged so far (nano-dollars), against the approved amount.
        let mut charged = 0_i64;
        for attempt in 1..=attempts {
            let request = ChatRequest {
                system: prompt.system.clone(),
                turns: turns.clone(),
                max_tokens: MAX_OUTPUT_TOKENS,
                json_schema: Some(prompt::reply_schema()),
            };
            // The most this call can cost, in nano-dollars: what is reserved and held to the limits.
            let upper = nanos(max_for(request_bytes(&request), request.max_tokens, llm) * margin);
            if let Some(cap) = approved.filter(|cap| charged.saturating_add(upper) > nanos(*cap)) {
                if attempt == 1 {
                    answer.route = Route::Blocked;
                    answer.options.clear();
                    answer.error_kind = Some("approval_needed".into());
                    answer.message = format!(
                        "One AI call for this question could cost up to {}, more than the {} you allowed. Allow more to go ahead.",
                        usd(dollars(upper)),
                        usd(cap)
                    );
                    return Ok(None);
                }
                last_problem = format!(
                    "{last_problem}; another try could pass the {} you allowed",
                    usd(cap)
                );
                break;
            }
            // The budget first: reserve the most this call can cost, or stop here.
            let now = self.clock.now();
            let mut timer = crate::trace::Timer::start("budget");
            let reserved = budget
                .as_mut()
                .map(|db| db.reserve(crate::budget::Purpose::Ai, &scope_refs, upper, now));
            timer.outcome(match &reserved {
                None => "off",
                Some(Ok(_)) => "reserved",
                Some(Err(_)) => "blocked",
            });
            drop(timer);
            let reservation = match reserved {
                None => None,
                Some(reserved) => match reserved {
                    Ok(r) => Some(r),
                    Err(e) => {
                        // Nothing is sent: say why and when it resets; what was spent so far stays.
                        answer.route = Route::Blocked;
                        answer.options.clear();
                        answer.message = format!(
                            "{}. Plainsight did not ask the AI.",
                            super::sentence_case(&e.to_string())
                        );
                        answer.error_kind = Some(
                            if matches!(e, crate::budget::BudgetError::Exceeded { .. }) {
                                "budget_exceeded"
                            } else {
                                "budget_unavailable"
                            }
                            .into(),
                        );
                        return Ok(None);
                    }
                },
            };
            let called = std::time::Instant::now();
            let completion = llm.complete(&request, cancel.map(AsRef::as_ref));
            let generation = completion.as_ref().ok().map(|c| crate::trace::Generation {
                model: answer.generated_by.clone(),
                input_tokens: c.usage.input_tokens,
                output_tokens: c.usage.output_tokens,
                cost_usd: dollars(spend.of(c)),
                input: traced_input(&request, &prompt_without_rows),
                output: repair::parse_reply(&c.text)
                    .ok()
                    .and_then(|r| match r.kind {
                        ReplyKind::Code { code, .. } => Some(code),
                        _ => None,
                    })
                    .unwrap_or_else(|| c.text.clone()),
            });
            crate::trace::record(
                "llm",
                called,
                completion.as_ref().map_or_else(LlmError::kind, |_| "ok"),
                generation,
            );
            answer.privacy_receipt = Some(receipt.clone());
            if let Ok(c) = &completion {
                charged += spend.of(c);
            }
            if let (Some(db), Some(r)) = (budget.as_deref_mut(), reservation.as_ref()) {
                let settled = match &completion {
                    Ok(c) => {
                        let actual = spend.of(c);
                        if actual > upper {
                            // Charged in full; the estimates for this model grow so it fits next time.
                            let _ = db.grow_estimator_margin(&margin_key, upper, actual);
                        }
                        db.settle(r, actual, self.clock.now())
                    }
                    Err(_) => db.release(r),
                };
                if let Err(e) = settled {
                    tracing::warn!(error = %e, "the budget could not be updated");
                }
            }
            let completion = completion?;
            spend.add(&completion);
            answer.cost = spend.cost();
            let problem = match self.apply_reply(
                &completion.text,
                answer,
                cancel,
                budget.as_deref_mut().map(|db| (db, scope_refs.as_slice())),
            )? {
                Applied::Answered => {
                    if attempt > 1 {
                        answer
                            .interpretation
                            .push_str(&format!(" (corrected after: {last_problem})"));
                    }
                    return Ok(Some(completion.text));
                }
                Applied::Other => return Ok(None),
                Applied::Problem(problem) => problem,
            };
            // `problem` came from `feedback`: only what the AI wrote itself or a fixed category,
            // so the AI, the log and the trace all get this same text.
            tracing::info!(attempt, problem = %problem, "the AI's answer could not be used");
            last_problem = problem.clone();
            turns.push((false, completion.text.clone()));
            let correction = format!(
                "That did not work: {}. Reply again with the JSON object only, with one corrected read-only SELECT that uses only the tables and columns listed.",
                problem.trim_end_matches('.')
            );
            receipt.push_str(&format!("\n\n--- correction {attempt} ---\n{correction}"));
            turns.push((true, correction));
        }
        // Every attempt failed: say so plainly, keep what it cost.
        answer.route = Route::Fallback;
        answer.options.clear();
        answer.message = format!("The AI could not write a query that works for this data ({last_problem}). Try rephrasing the question.");
        answer.error_kind = Some("llm_code_failed".into());
        answer.privacy_receipt = Some(receipt);
        Ok(None)
    }

    /// Uses one reply of the AI: runs its SQL (or Python) through the guard and read-only walls
    /// and fills `answer`, or takes its clarifying question or refusal. Also used for a cached
    /// reply, whose code runs again on today's data.
    pub(super) fn apply_reply(
        &self,
        text: &str,
        answer: &mut Answer,
        cancel: Option<&Arc<AtomicBool>>,
        budget: Option<(&mut crate::history::AppDb, &[&str])>,
    ) -> Result<Applied, AskError> {
        let mut timer = crate::trace::Timer::start("repair");
        let parsed = repair::parse_reply(text);
        if parsed.is_err() {
            timer.outcome("failed");
        }
        drop(timer);
        Ok(Applied::Problem(match parsed {
            Err(e) => e.to_string(),
            Ok(reply) => {
                let mut interpretation = reply.explanation.clone();
                for a in &reply.assumptions {
                    interpretation.push_str(&format!("; {a}"));
                }
                match reply.kind {
                    ReplyKind::Clarify { options } => {
                        answer.route = Route::Clarify;
                        answer.interpretation = interpretation;
                        answer.message = "Which of these did you mean?".into();
                        answer.options = options;
                        return Ok(Applied::Other);
                    }
                    ReplyKind::OutOfScope { reason } => {
                        answer.route = Route::Fallback;
                        answer.interpretation = interpretation;
                        answer.message = format!("This data cannot answer that. {reason}")
                            .trim()
                            .to_string();
                        answer.options.clear();
                        return Ok(Applied::Other);
                    }
                    ReplyKind::Code {
                        language: CodeLanguage::Python,
                        code,
                    } => {
                        // The data query rides in the same JSON object as the script.
                        let query = repair::recover_json(&repair::strip_think(text))
                            .and_then(|v| {
                                v.get("query").and_then(|q| q.as_str()).map(str::to_string)
                            })
                            .filter(|q| !q.trim().is_empty());
                        match (query, self.runner.as_ref()) {
                            (_, None) => "Python cannot run here: answer with one SQL SELECT instead".to_string(),
                            (None, _) => {
                                "a Python answer needs a \"query\": one SELECT whose rows the script receives as `rows`".to_string()
                            }
                            (Some(query), Some(runner)) => match self.run_python_budgeted(runner.as_ref(), &query, &code, cancel, budget) {
                                Ok(output) => {
                                    let sandbox = nanos(runner.last_cost_usd());
                                    if sandbox > 0 {
                                        answer.cost.breakdown.push(super::CostItem { item: "sandbox".into(), nanos: sandbox });
                                        answer.cost.total_nanos += sandbox;
                                    }
                                    answer.route = Route::Answer;
                                    answer.interpretation = interpretation;
                                    answer.options.clear();
                                    answer.message = output.printed.trim().chars().take(500).collect();
                                    let title = answer.question.clone();
                                    answer.chart = crate::chart::choose(&output.columns, &output.rows, &title);
                                    answer.language = Some(super::Language::Python);
                                    answer.code = Some(format!("# Data query\n# {}\n\n{code}", query.replace('\n', "\n# ")));
                                    answer.columns = output.columns;
                                    answer.rows = output.rows;
                                    answer.truncated = false;
                                    if answer.rows.is_empty() {
                                        answer.message = "The analysis returned no rows.".into();
                                    }
                                    return Ok(Applied::Answered);
                                }
                                Err(AskError::Exec(ExecError::Cancelled)) => return Err(AskError::Exec(ExecError::Cancelled)),
                                Err(e) => super::feedback::python(&e, &code, &query, &self.schema),
                            },
                        }
                    }
                    ReplyKind::Code {
                        language: CodeLanguage::Sql,
                        code,
                    } => match self.run_sql(&code, cancel.cloned()) {
                        Ok((checked, result)) => {
                            answer.route = Route::Answer;
                            answer.interpretation = interpretation;
                            answer.options.clear();
                            answer.message.clear();
                            let title = answer.question.clone();
                            self.fill_result(answer, checked, result, &title);
                            return Ok(Applied::Answered);
                        }
                        Err(AskError::Exec(ExecError::Cancelled)) => {
                            return Err(AskError::Exec(ExecError::Cancelled))
                        }
                        Err(e) => super::feedback::sql(&e, &code, &self.schema),
                    },
                }
            }
        }))
    }

    /// The budget scopes an AI call (or a remote sandbox run) for this source reserves in.
    pub(super) fn budget_scopes(&self, llm: &dyn LlmProvider) -> [String; 3] {
        [
            "global".to_string(),
            format!("provider:{}", llm.kind().as_str()),
            format!("source:{}", self.source.describe()),
        ]
    }

    /// Runs the data query (guarded, read-only), then the script over its rows. A remote
    /// sandbox's most expensive run is reserved in the budget just before it starts and settled
    /// to what it cost; nothing is charged when the script is refused or the query fails.
    fn run_python_budgeted(
        &self,
        runner: &dyn crate::python::CodeRunner,
        query: &str,
        script: &str,
        cancel: Option<&Arc<AtomicBool>>,
        budget: Option<(&mut crate::history::AppDb, &[&str])>,
    ) -> Result<crate::python::PyOutput, AskError> {
        let mut timer = crate::trace::Timer::start("guard");
        crate::python::validate(script)
            .inspect_err(|_| timer.outcome("refused"))
            .map_err(AskError::Python)?;
        drop(timer);
        let (_, data) = self.run_sql(query, cancel.cloned())?;
        let rows = as_dicts(data);
        let most = runner.max_cost_usd(crate::python::PyLimits::default());
        let reserved = match budget.filter(|_| most > 0.0) {
            None => None,
            Some((db, scopes)) => {
                let r = db
                    .reserve(
                        crate::budget::Purpose::Sandbox,
                        scopes,
                        nanos(most),
                        self.clock.now(),
                    )
                    .map_err(|e| {
                        AskError::Python(crate::python::PyError::Unavailable(format!(
                            "the sandbox was not started: {e}"
                        )))
                    })?;
                Some((db, r))
            }
        };
        let mut timer = crate::trace::Timer::start("sandbox");
        // The script may fetch more with query_sql(): through the same guard and read-only walls.
        let sql = |q: &str| {
            self.run_sql(q, cancel.cloned())
                .map(|(_, r)| as_dicts(r))
                .map_err(|e| e.to_string())
        };
        let output = runner
            .run_with_sql(
                script,
                &rows,
                crate::python::PyLimits::default(),
                &sql,
                cancel.map(AsRef::as_ref),
            )
            .inspect_err(|_| timer.outcome("failed"));
        drop(timer);
        if let Some((db, reservation)) = reserved {
            if let Err(e) = db.settle(
                &reservation,
                nanos(runner.last_cost_usd()),
                self.clock.now(),
            ) {
                tracing::warn!(error = %e, "the budget could not be updated");
            }
        }
        output.map_err(|e| match e {
            crate::python::PyError::Cancelled => AskError::Exec(ExecError::Cancelled),
            other => AskError::Python(other),
        })
    }

    /// A few rows of each table, for the prompt, only when the person allowed it.
    fn sample_rows(&self) -> Vec<(String, serde_json::Value)> {
        let limits = Limits {
            max_rows: SAMPLE_ROWS,
            ..self.options.limits.clone()
        };
        self.schema
            .tables
            .iter()
            .filter(|t| !t.is_view)
            .filter_map(|t| {
                let sql = format!("SELECT * FROM {} LIMIT {SAMPLE_ROWS}", quote_ident(&t.name));
                let checked = crate::guard::check_for(&sql, self.source.dialect()).ok()?;
                let r = self.source.run(&checked, &limits, None).ok()?;
                Some((
                    t.name.clone(),
                    serde_json::json!({"columns": r.columns, "rows": r.rows}),
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{dollars, nanos};

    #[test]
    fn amounts_in_decimal_add_up_exactly() {
        assert_eq!(dollars(nanos(0.00748)), 0.00748);
        assert_eq!(
            dollars(nanos(0.001) + nanos(0.00648) + nanos(0.00748 - 0.001 - 0.00648)),
            0.00748
        );
        assert_eq!(dollars(nanos(0.1) + nanos(0.2)), 0.3);
        assert_eq!(format!("{}", dollars(nanos(0.00748))), "0.00748");
    }
}
