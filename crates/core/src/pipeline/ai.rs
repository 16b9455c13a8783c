//! The LLM branch of [`Pipeline::ask`]: prompt → provider → repair → guard → executor, with
//! self-correction (the refusal or error goes back once, at most twice) and the cost of every
//! attempt added up.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use chrono::NaiveDate;

use super::{Answer, AskError, Cost, CostItem, CostSource, Pipeline};
use crate::executor::{ExecError, Limits};
use crate::llm::prices;
use crate::llm::prompt::{self, MAX_OUTPUT_TOKENS};
use crate::llm::provider::{ChatRequest, Completion, LlmProvider};
use crate::llm::repair::{self, CodeLanguage, ReplyKind};
use crate::router::Route;
use crate::schema::quote_ident;

/// Rows per table sent when the person allowed sample rows.
const SAMPLE_ROWS: usize = 3;

/// Adds up what each call cost.
struct Spend {
    provider: crate::llm::provider::ProviderKind,
    model: String,
    base_url: String,
    first: Option<(f64, f64, f64)>,
    corrections: f64,
    reported: bool,
    unpriced: bool,
}

/// Conservative prices when the table does not know the model (higher than any listed).
const UNKNOWN_PRICE: prices::Price = prices::Price { input_per_million: 15.0, output_per_million: 60.0, request_fee: 0.01 };

/// An upper bound of what `request` can cost, for the budget's reservation: every byte counted as
/// a token, the full output cap, the request fee, and every allowed retry.
fn estimate_max(request: &ChatRequest, llm: &dyn LlmProvider, retries: u32) -> f64 {
    let bytes = request.system.len() + request.turns.iter().map(|(_, t)| t.len()).sum::<usize>();
    let price = prices::lookup(llm.kind(), llm.model(), llm.base_url()).unwrap_or(UNKNOWN_PRICE);
    let (input, output, fee) = price.cost(bytes as u64, u64::from(request.max_tokens));
    (input + output + fee) * f64::from(1 + retries)
}

impl Spend {
    /// What one completion cost (the provider's figure, else the table's).
    fn of(&self, c: &Completion) -> f64 {
        match c.usage.cost {
            Some(r) => r.total,
            None => prices::lookup(self.provider, &self.model, &self.base_url).map_or(0.0, |p| {
                let (i, o, f) = p.cost(c.usage.input_tokens, c.usage.output_tokens);
                i + o + f
            }),
        }
    }

    fn add(&mut self, c: &Completion) {
        let (input, output, fees) = match c.usage.cost {
            Some(r) => {
                self.reported = true;
                // The provider's total is authoritative; fees are what its parts do not explain.
                let fees = r.total - r.input - r.output;
                // Below a billionth of a dollar it is rounding, not a fee.
                (r.input, r.output, if fees > 1e-9 { fees } else { 0.0 })
            }
            None => match prices::lookup(self.provider, &self.model, &self.base_url) {
                Some(p) => p.cost(c.usage.input_tokens, c.usage.output_tokens),
                None => {
                    self.unpriced = true;
                    (0.0, 0.0, 0.0)
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
        let Some((input, output, fees)) = self.first else { return Cost::none() };
        let mut breakdown = vec![
            CostItem { item: "prompt".into(), usd: input },
            CostItem { item: "completion".into(), usd: output },
            CostItem { item: "fees".into(), usd: fees },
        ];
        if self.corrections > 0.0 {
            breakdown.push(CostItem { item: "self-correction".into(), usd: self.corrections });
        }
        if self.unpriced {
            breakdown.push(CostItem { item: format!("no price known for {}", self.model), usd: 0.0 });
        }
        let total_usd = input + output + fees + self.corrections;
        Cost { total_usd, source: if self.reported { CostSource::Provider } else { CostSource::Estimate }, breakdown }
    }
}

/// Rows as dicts, column name → value, for Python.
fn as_dicts(r: crate::executor::QueryResult) -> Vec<serde_json::Map<String, serde_json::Value>> {
    r.rows.into_iter().map(|row| r.columns.iter().cloned().zip(row).collect()).collect()
}

impl Pipeline {
    /// Asks the LLM, validates and runs its code, and fills `answer`. Provider failures come back
    /// as [`AskError::Llm`] (the caller answers offline instead); the cost so far is kept in
    /// `answer` either way.
    pub(super) fn ask_llm(
        &self,
        llm: &dyn LlmProvider,
        answer: &mut Answer,
        today: NaiveDate,
        cancel: Option<&Arc<AtomicBool>>,
    ) -> Result<(), AskError> {
        let samples = self.options.send_sample_rows.then(|| self.sample_rows());
        let prompt = prompt::build(&self.schema, self.source.dialect(), today, &answer.question, samples.as_deref());
        let config_model = llm.model().to_string();
        let spend_init = Spend {
            provider: llm.kind(),
            model: config_model.clone(),
            base_url: llm.base_url().to_string(),
            first: None,
            corrections: 0.0,
            reported: false,
            unpriced: false,
        };
        let mut spend = spend_init;
        let mut turns = vec![(true, prompt.question.clone())];
        let mut receipt = prompt.receipt();
        answer.generated_by = format!("{}/{}", llm.kind().as_str(), config_model);
        let attempts = 1 + usize::from(self.options.self_correct.min(2));
        let mut last_problem = String::new();
        // The budget's scopes and database, opened once for every attempt of this question.
        let scopes = ["global".to_string(), format!("provider:{}", llm.kind().as_str()), format!("source:{}", self.source.describe())];
        let scope_refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
        let mut budget = match &self.options.app_db {
            Some(path) => Some(crate::history::AppDb::open(path).map_err(|e| AskError::Config(e.to_string()))?),
            None => None,
        };
        for attempt in 1..=attempts {
            let request = ChatRequest {
                system: prompt.system.clone(),
                turns: turns.clone(),
                max_tokens: MAX_OUTPUT_TOKENS,
                json_schema: Some(prompt::reply_schema()),
            };
            // The budget first: reserve the most this call can cost, or stop here.
            let now = chrono::Local::now().naive_local();
            let reservation = match budget.as_mut() {
                None => None,
                Some(db) => match db.reserve(&scope_refs, estimate_max(&request, llm, 2), now) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        // Nothing is sent: say why and when it resets; what was spent so far stays.
                        answer.route = Route::Blocked;
                        answer.options.clear();
                        answer.message = format!("{}. Plainsight did not ask the AI.", super::sentence_case(&e.to_string()));
                        answer.error_kind = Some(
                            if matches!(e, crate::budget::BudgetError::Exceeded { .. }) { "budget_exceeded" } else { "budget_unavailable" }
                                .into(),
                        );
                        return Ok(());
                    }
                },
            };
            let completion = llm.complete(&request, cancel.map(AsRef::as_ref));
            answer.privacy_receipt = Some(receipt.clone());
            if let (Some(db), Some(r)) = (budget.as_mut(), reservation.as_ref()) {
                let settled = match &completion {
                    Ok(c) => db.settle(r, spend.of(c), chrono::Local::now().naive_local()),
                    Err(_) => db.release(r),
                };
                if let Err(e) = settled {
                    tracing::warn!(error = %e, "the budget could not be updated");
                }
            }
            let completion = completion?;
            spend.add(&completion);
            answer.cost = spend.cost();
            let problem = match repair::parse_reply(&completion.text) {
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
                            return Ok(());
                        }
                        ReplyKind::OutOfScope { reason } => {
                            answer.route = Route::Fallback;
                            answer.interpretation = interpretation;
                            answer.message = format!("This data cannot answer that. {reason}").trim().to_string();
                            answer.options.clear();
                            return Ok(());
                        }
                        ReplyKind::Code { language: CodeLanguage::Python, code } => {
                            // The data query rides in the same JSON object as the script.
                            let query = repair::recover_json(&repair::strip_think(&completion.text))
                                .and_then(|v| v.get("query").and_then(|q| q.as_str()).map(str::to_string))
                                .filter(|q| !q.trim().is_empty());
                            match (query, self.runner.as_ref()) {
                                (_, None) => "Python cannot run here: answer with one SQL SELECT instead".to_string(),
                                (None, _) => {
                                    "a Python answer needs a \"query\": one SELECT whose rows the script receives as `rows`".to_string()
                                }
                                (Some(query), Some(runner)) => match self.run_python(runner.as_ref(), &query, &code, cancel) {
                                    Ok(output) => {
                                        let sandbox = runner.last_cost_usd();
                                        if sandbox > 0.0 {
                                            answer.cost.breakdown.push(super::CostItem { item: "sandbox".into(), usd: sandbox });
                                            answer.cost.total_usd += sandbox;
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
                                        return Ok(());
                                    }
                                    Err(AskError::Exec(ExecError::Cancelled)) => return Err(AskError::Exec(ExecError::Cancelled)),
                                    Err(e) => e.to_string(),
                                },
                            }
                        }
                        ReplyKind::Code { language: CodeLanguage::Sql, code } => match self.run_sql(&code, cancel.cloned()) {
                            Ok((checked, result)) => {
                                answer.route = Route::Answer;
                                answer.interpretation = interpretation;
                                answer.options.clear();
                                answer.message.clear();
                                let title = answer.question.clone();
                                self.fill_result(answer, checked, result, &title);
                                if attempt > 1 {
                                    answer.interpretation.push_str(&format!(" (corrected after: {last_problem})"));
                                }
                                return Ok(());
                            }
                            Err(AskError::Exec(ExecError::Cancelled)) => return Err(AskError::Exec(ExecError::Cancelled)),
                            Err(e) => e.to_string(),
                        },
                    }
                }
            };
            tracing::info!(attempt, problem = %problem, "the AI's answer could not be used");
            last_problem = problem.clone();
            turns.push((false, completion.text.clone()));
            let correction = format!(
                "That did not work: {problem}. Reply again with the JSON object only, with one corrected read-only SELECT that uses only the tables and columns listed."
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
        Ok(())
    }

    /// Runs the data query (guarded, read-only) and the script over its rows.
    fn run_python(
        &self,
        runner: &dyn crate::python::CodeRunner,
        query: &str,
        script: &str,
        cancel: Option<&Arc<AtomicBool>>,
    ) -> Result<crate::python::PyOutput, AskError> {
        crate::python::validate(script).map_err(AskError::Python)?;
        let (_, data) = self.run_sql(query, cancel.cloned())?;
        let rows = as_dicts(data);
        // The script may fetch more with query_sql(): through the same guard and read-only walls.
        let sql = |q: &str| self.run_sql(q, cancel.cloned()).map(|(_, r)| as_dicts(r)).map_err(|e| e.to_string());
        runner.run_with_sql(script, &rows, crate::python::PyLimits::default(), &sql).map_err(AskError::Python)
    }

    /// A few rows of each table, for the prompt, only when the person allowed it.
    fn sample_rows(&self) -> Vec<(String, serde_json::Value)> {
        let limits = Limits { max_rows: SAMPLE_ROWS, ..self.options.limits.clone() };
        self.schema
            .tables
            .iter()
            .filter(|t| !t.is_view)
            .filter_map(|t| {
                let r = self.source.run(&format!("SELECT * FROM {} LIMIT {SAMPLE_ROWS}", quote_ident(&t.name)), &limits, None).ok()?;
                Some((t.name.clone(), serde_json::json!({"columns": r.columns, "rows": r.rows})))
            })
            .collect()
    }
}
