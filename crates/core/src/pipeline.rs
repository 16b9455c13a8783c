//! `Pipeline`: one question in, one [`Answer`] out.
//!
//! planner (understands the question, with a confidence) → router → guard → executor → chart.
//! Later issues slot the cache, budget, breaker and LLM in between the router and the guard; the
//! shape of [`Answer`] is the CLI's JSON contract and already carries their fields.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use chrono::NaiveDate;
use serde_json::{json, Value};

use crate::chart::{self, ChartSpec};
use crate::executor::{ExecError, Limits};
use crate::guard::{self, GuardError};
use crate::llm::provider::LlmProvider;
use crate::planner::Planner;
use crate::router::{self, Route, Thresholds};
use crate::schema::Schema;
use crate::source::{DataSource, SqliteSource};

mod ai;
mod feedback;
mod store;

use store::Store;

fn sentence_case(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A cache lookup: the key, the question's embedding (when it was made), the entry hit, and how
/// long it took in µs.
type CacheLookup = (
    crate::cache::CacheKey,
    Option<Vec<f32>>,
    Option<crate::cache::Hit>,
    u64,
);

pub use crate::router::AiMode;

#[derive(Debug, Clone)]
pub struct PipelineOptions {
    pub limits: Limits,
    pub thresholds: Thresholds,
    pub ai: AiMode,
    /// The user's own words for things ("GMV" = "revenue"), applied before planning.
    pub glossary: Vec<crate::glossary::Entry>,
    /// How many times the LLM may correct its own code after a refusal or an error (0–2).
    pub self_correct: u8,
    /// Send a few rows of each table with the schema (off: no data row leaves the machine).
    pub send_sample_rows: bool,
    /// The app database whose budgets every AI call reserves against, and where the circuit
    /// breakers are kept (none: no budget, breakers in memory).
    pub app_db: Option<PathBuf>,
    /// Questions whose AI cost is estimated above this (USD) wait for approval (none: never ask).
    pub approval_usd: Option<f64>,
    /// When to pause a failing provider.
    pub breaker: crate::breaker::Config,
    /// The answer cache, kept in `app_db` (none: no cache).
    pub cache: Option<crate::cache::CacheConfig>,
    /// The data directory, whose profile cache keeps each source's schema between processes
    /// (see [`crate::schema::cached`]; none: the schema is read from the source every time).
    pub data_dir: Option<PathBuf>,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            thresholds: Thresholds::default(),
            ai: AiMode::default(),
            glossary: Vec::new(),
            self_correct: 1,
            send_sample_rows: false,
            app_db: None,
            approval_usd: None,
            breaker: crate::breaker::Config::default(),
            cache: None,
            data_dir: None,
        }
    }
}

impl PipelineOptions {
    /// Defaults, with the router thresholds from `CONFIDENCE_ROUTE_THRESHOLD` and
    /// `CONFIDENCE_FALLBACK_THRESHOLD` when set.
    pub fn from_env() -> Result<Self, AskError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let thresholds = Thresholds::parse(var(ROUTE_ENV).as_deref(), var(FALLBACK_ENV).as_deref())
            .map_err(AskError::Config)?;
        Ok(Self {
            thresholds,
            ..Self::default()
        })
    }
}

/// Environment variables for the router thresholds (see `.env.example`).
pub const ROUTE_ENV: &str = "CONFIDENCE_ROUTE_THRESHOLD";
pub const FALLBACK_ENV: &str = "CONFIDENCE_FALLBACK_THRESHOLD";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Sql,
    Python,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sql => "sql",
            Self::Python => "python",
        }
    }
}

/// Where a cost figure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostSource {
    /// Answered offline: nothing was spent.
    None,
    /// The provider reported the cost.
    Provider,
    /// Computed from token counts and the price table.
    Estimate,
}

/// One part of what an answer cost.
#[derive(Debug, Clone, PartialEq)]
pub struct CostItem {
    pub item: String,
    /// In nano-dollars ([`crate::money`]).
    pub nanos: i64,
}

impl CostItem {
    /// The amount in dollars, for display and JSON.
    pub fn usd(&self) -> f64 {
        crate::money::dollars(self.nanos)
    }
}

/// What an answer cost, in whole nano-dollars from the provider's figure to the history; in
/// dollars only where it is shown ([`Cost::total_usd`], the CLI's JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct Cost {
    pub total_nanos: i64,
    pub source: CostSource,
    pub breakdown: Vec<CostItem>,
}

impl Cost {
    pub fn none() -> Self {
        Self {
            total_nanos: 0,
            source: CostSource::None,
            breakdown: Vec::new(),
        }
    }

    /// The total in dollars, for display and JSON: the provider's 0.00748 is `0.00748`.
    pub fn total_usd(&self) -> f64 {
        crate::money::dollars(self.total_nanos)
    }
}

/// What a question sent to the AI is expected to cost, worked out before anything is sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// A typical answer: one call, the prompt at about four bytes a token, a short reply.
    pub about_usd: f64,
    /// The upper bound: every byte a token, the full output cap, every retry, correction and
    /// sandbox run. The budget reserves this much.
    pub at_most_usd: f64,
}

/// Everything the user sees for one question.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub question: String,
    pub route: Route,
    pub confidence: f64,
    pub interpretation: String,
    pub language: Option<Language>,
    pub code: Option<String>,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    pub truncated: bool,
    pub chart: Option<ChartSpec>,
    pub options: Vec<String>,
    pub message: String,
    pub cost: Cost,
    /// `miss`, `exact` or `semantic` once the cache exists.
    pub cache: Option<String>,
    pub error_kind: Option<String>,
    /// `planner`, or the LLM's `provider/model`.
    pub generated_by: String,
    /// Exactly what was sent to the LLM (schema, question, corrections), when anything was.
    pub privacy_receipt: Option<String>,
    /// The AI cost estimate, when the question went (or would have gone) to the AI.
    pub estimate: Option<Estimate>,
    /// What each step took (plan, cache, AI, guard, run, chart …), in order.
    pub stages: Vec<crate::trace::Stage>,
    /// What the planner read each word of the question as ("worth" → `products.unit_price`), with
    /// the other columns it could mean, for the person to confirm or correct. Empty when the AI
    /// wrote the answer: its reading is not the planner's.
    pub mappings: Vec<crate::planner::Mapping>,
    /// The chart drawn for the answer area (an SVG with a viewBox, scaled by the screen), when
    /// the answer has one and it could be drawn.
    pub chart_svg: Option<String>,
    /// The answer's entry in the history, once recorded there.
    pub history_id: Option<i64>,
}

impl Answer {
    /// Draws [`Self::chart`] for the screen into [`Self::chart_svg`] (a stage of its own); a
    /// chart that cannot be drawn is logged and left out, the table still shows.
    fn draw_chart(&mut self) {
        let Some(spec) = &self.chart else {
            return;
        };
        let mut timer = crate::trace::Timer::start("draw");
        self.chart_svg = crate::chart::render_svg(
            spec,
            &self.columns,
            &self.rows,
            crate::chart::screen_size(spec.kind),
        )
        .inspect_err(|error| tracing::warn!(?error, "could not draw the chart"))
        .ok();
        timer.outcome(if self.chart_svg.is_some() {
            "drawn"
        } else {
            "failed"
        });
    }

    /// The CLI's JSON contract (`plainsight ask --json`).
    pub fn to_json(&self) -> Value {
        json!({
            "route": self.route.as_str(),
            "confidence": (self.confidence * 100.0).round() / 100.0,
            "interpretation": self.interpretation,
            "language": self.language.map(Language::as_str),
            "code": self.code,
            "columns": self.columns,
            "rows": self.rows,
            "truncated": self.truncated,
            "chart": self.chart.as_ref().map(|c| json!({"kind": c.kind.as_str(), "x": c.x, "y": c.y, "title": c.title})),
            "options": self.options,
            "message": self.message,
            "cost": {
                "total_usd": self.cost.total_usd(),
                "source": match self.cost.source { CostSource::None => "none", CostSource::Provider => "provider", CostSource::Estimate => "estimate" },
                "breakdown": self.cost.breakdown.iter().map(|b| json!({"item": b.item, "usd": b.usd()})).collect::<Vec<_>>(),
                // Who was paid: the LLM as provider/model, or none for the offline planner.
                "provider": (self.generated_by != "planner").then_some(&self.generated_by),
                // Worked out before anything was sent to the AI (none when it was not asked).
                "estimate": self.estimate.map(|e| json!({"about_usd": e.about_usd, "at_most_usd": e.at_most_usd})),
            },
            "cache": self.cache,
            "error_kind": self.error_kind,
            // What each word was read as (planner answers only): "worth" → products.unit_price.
            "mappings": self.mappings.iter()
                .map(|m| json!({"said": m.said, "table": m.table, "column": m.column, "alternatives": m.alternatives}))
                .collect::<Vec<_>>(),
        })
    }
}

impl Answer {
    /// Passes every text of the answer through [`crate::redact::redact`] before it is shown,
    /// traced or recorded: a provider may have quoted a key in its reply or its error. Data rows
    /// are the user's: only a remembered key or password is masked in them (a long hex value in
    /// a table is data).
    fn redact_secrets(&mut self) {
        use crate::redact::{known_secrets, redact};
        let texts = [
            &mut self.question,
            &mut self.interpretation,
            &mut self.message,
        ];
        for text in texts
            .into_iter()
            .chain(&mut self.options)
            .chain(&mut self.columns)
        {
            *text = redact(text);
        }
        for text in self.code.iter_mut().chain(self.privacy_receipt.iter_mut()) {
            *text = redact(text);
        }
        if let Some(chart) = &mut self.chart {
            for text in [&mut chart.title, &mut chart.x, &mut chart.y] {
                *text = redact(text);
            }
        }
        for item in &mut self.cost.breakdown {
            item.item = redact(&item.item);
        }
        for mapping in &mut self.mappings {
            mapping.said = redact(&mapping.said);
        }
        for value in self.rows.iter_mut().flatten() {
            if let Value::String(s) = value {
                if let std::borrow::Cow::Owned(masked) = known_secrets(s) {
                    *s = masked;
                }
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AskError {
    #[error("type a question first, for example \"sales by region last month\"")]
    EmptyQuestion,
    #[error("the question is too long ({0} characters); keep it under 1,000")]
    TooLong(usize),
    #[error("{0}")]
    Open(#[source] ExecError),
    #[error("could not read the database's tables")]
    Schema(#[source] rusqlite::Error),
    #[error("the generated SQL was refused: {0}")]
    Guard(#[from] GuardError),
    #[error("{0}")]
    Exec(#[source] ExecError),
    #[error("could not create the sample database")]
    Sample(#[from] crate::sample::SampleError),
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Llm(#[from] crate::llm::provider::LlmError),
    #[error(transparent)]
    Python(crate::python::PyError),
}

impl AskError {
    /// A stable kind for the UI and scripts to match on.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::EmptyQuestion => "empty_question",
            Self::TooLong(_) => "question_too_long",
            Self::Open(_) => "database_unavailable",
            Self::Schema(_) => "database_unreadable",
            Self::Guard(_) => "refused_sql",
            Self::Exec(ExecError::TimedOut(_)) => "timeout",
            Self::Exec(ExecError::Cancelled) => "cancelled",
            Self::Exec(_) => "query_failed",
            Self::Sample(_) => "sample_db_failed",
            Self::Config(_) => "bad_setting",
            Self::Llm(e) => e.kind(),
            Self::Python(_) => "python_failed",
        }
    }
}

/// The question-answering pipeline over one SQLite database.
pub struct Pipeline {
    source: Box<dyn DataSource>,
    schema: Schema,
    planner: Planner,
    options: PipelineOptions,
    /// The configured LLM, if any: questions the planner is unsure of go to it.
    llm: Option<Arc<dyn LlmProvider>>,
    /// Where Python analysis scripts run (embedded Monty worker, or a remote sandbox).
    runner: Option<Arc<dyn crate::python::CodeRunner>>,
    /// Pauses the AI after repeated outages so questions go offline at once.
    breaker: std::sync::Mutex<crate::breaker::Breaker>,
    /// Embeds questions for the cache's semantic layer.
    embedder: Arc<dyn crate::cache::embed::Embedder>,
    /// The schema's fingerprint, part of every cache key.
    fingerprint: String,
    /// Where each question's trace goes (Langfuse), if anywhere.
    tracer: Option<Arc<dyn crate::trace::Tracer>>,
    /// Where the time comes from (breakers, the answer cache, budgets, traces).
    clock: Arc<dyn crate::clock::Clock>,
}

impl Pipeline {
    /// Opens the SQLite file `db` read-only and reads its schema once.
    pub fn open(db: &Path, options: PipelineOptions) -> Result<Self, AskError> {
        Self::with_source(Box::new(SqliteSource::new(db)), options)
    }

    /// Answers from any data source (SQLite file, PostgreSQL). The schema comes from the profile
    /// cache in `options.data_dir` when the data has not changed since it was last read.
    pub fn with_source(
        source: Box<dyn DataSource>,
        options: PipelineOptions,
    ) -> Result<Self, AskError> {
        let started = std::time::Instant::now();
        let read = match &options.data_dir {
            Some(dir) => crate::schema::profile(source.as_ref(), dir),
            None => source
                .schema()
                .map(|s| (s, crate::schema::Profiled::Uncached)),
        };
        let (schema, profiled) = read.map_err(|e| match e {
            ExecError::Sql(inner) => AskError::Schema(inner),
            other => AskError::Open(other),
        })?;
        tracing::info!(
            profile = profiled.as_str(),
            ms = started.elapsed().as_millis() as u64,
            "schema read"
        );
        let planner = Planner::new(&schema, source.dialect());
        let breaker = std::sync::Mutex::new(crate::breaker::Breaker::new(options.breaker));
        let fingerprint = crate::source::schema_fingerprint(&schema);
        Ok(Self {
            source,
            schema,
            planner,
            options,
            llm: None,
            runner: None,
            breaker,
            embedder: Arc::new(crate::cache::embed::LocalEmbedder),
            fingerprint,
            tracer: None,
            clock: Arc::new(crate::clock::SystemClock),
        })
    }

    /// Reads the time from `clock` (the system clock by default): tests move a fixed clock
    /// instead of sleeping.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn crate::clock::Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Runs the LLM's Python answers with `runner`.
    #[must_use]
    pub fn with_runner(mut self, runner: Arc<dyn crate::python::CodeRunner>) -> Self {
        self.runner = Some(runner);
        self
    }

    /// Sends each question's trace to `tracer`.
    #[must_use]
    pub fn with_tracer(mut self, tracer: Arc<dyn crate::trace::Tracer>) -> Self {
        self.tracer = Some(tracer);
        self
    }

    /// Embeds questions for the cache with `embedder` (the local one by default).
    #[must_use]
    pub fn with_embedder(mut self, embedder: Arc<dyn crate::cache::embed::Embedder>) -> Self {
        self.embedder = embedder;
        self
    }

    /// Sends the questions the router gives the LLM to `provider`.
    #[must_use]
    pub fn with_llm(mut self, provider: Arc<dyn LlmProvider>) -> Self {
        self.llm = Some(provider);
        self
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The source's file path or URL (without password), for messages.
    pub fn database(&self) -> String {
        self.source.describe()
    }

    /// Answers one question as of `today`.
    pub fn ask(
        &self,
        question: &str,
        today: NaiveDate,
        cancel: Option<Arc<AtomicBool>>,
    ) -> Result<Answer, AskError> {
        self.ask_with(question, today, cancel, None)
    }

    /// [`Self::ask`], with the person's approval to spend up to `approved` USD on the AI for this
    /// question (no more is reserved or spent; above the approval threshold without it, the
    /// answer is `approval_needed` and nothing is sent).
    pub fn ask_with(
        &self,
        question: &str,
        today: NaiveDate,
        cancel: Option<Arc<AtomicBool>>,
        approved: Option<f64>,
    ) -> Result<Answer, AskError> {
        let started = std::time::SystemTime::from(self.clock.now());
        let clock = std::time::Instant::now();
        let span = tracing::info_span!("question", chars = question.chars().count());
        let _entered = span.enter();
        crate::trace::begin();
        let mut store = Store::open(self.options.app_db.as_deref());
        let mut outcome = self.answer(&mut store, question, today, cancel, approved);
        if let Ok(answer) = &mut outcome {
            answer.redact_secrets();
            answer.draw_chart();
        }
        let stages = crate::trace::take();
        if let Ok(answer) = &mut outcome {
            let asked_at = self.clock.now();
            let source = self.source.describe();
            answer.history_id = store.with("could not record the question in history", |db| {
                db.record_answer(answer, asked_at, &source)
            });
            tracing::info!(
                route = answer.route.as_str(),
                cache = answer.cache.as_deref(),
                error_kind = answer.error_kind.as_deref(),
                cost_usd = answer.cost.total_usd(),
                ms = clock.elapsed().as_secs_f64() * 1000.0,
                "answered"
            );
            answer.stages = stages;
            if let Some(tracer) = &self.tracer {
                tracer.export(crate::trace::QuestionTrace {
                    question: answer.question.clone(),
                    route: answer.route.as_str().into(),
                    error_kind: answer.error_kind.clone(),
                    cache: answer.cache.clone(),
                    cost_usd: answer.cost.total_usd(),
                    started,
                    duration: clock.elapsed(),
                    stages: answer.stages.clone(),
                });
            }
        } else if let Err(e) = &outcome {
            tracing::info!(
                kind = e.kind(),
                ms = clock.elapsed().as_secs_f64() * 1000.0,
                "not answered"
            );
        }
        outcome
    }

    fn answer(
        &self,
        store: &mut Store,
        question: &str,
        today: NaiveDate,
        cancel: Option<Arc<AtomicBool>>,
        approved: Option<f64>,
    ) -> Result<Answer, AskError> {
        let question = question.trim();
        if question.is_empty() {
            return Err(AskError::EmptyQuestion);
        }
        if question.chars().count() > 1_000 {
            return Err(AskError::TooLong(question.chars().count()));
        }
        let mut timer = crate::trace::Timer::start("plan");
        let (rewritten, glossed) = crate::glossary::apply(question, &self.options.glossary);
        let mut plan = self.planner.plan(&rewritten, today);
        for (term, meaning) in glossed.iter().rev() {
            plan.interpretation = format!(
                "{term} = {meaning} (your glossary); {}",
                plan.interpretation
            );
        }
        // A word the glossary put in stands for the person's own: they correct "price", not the
        // "unit cost" it was rewritten to.
        for mapping in &mut plan.mappings {
            if let Some((term, _)) = glossed
                .iter()
                .find(|(_, meaning)| crate::glossary::same_words(meaning, &mapping.said))
            {
                mapping.said.clone_from(term);
            }
        }
        let decision = router::decide(&plan, self.options.thresholds);
        let route = decision.route;
        tracing::debug!(
            route = route.as_str(),
            confidence = plan.confidence,
            "routed"
        );
        timer.outcome(route.as_str());
        drop(timer);
        let mut answer = Answer {
            question: question.to_string(),
            route,
            confidence: plan.confidence,
            interpretation: plan.interpretation,
            language: None,
            code: None,
            columns: Vec::new(),
            rows: Vec::new(),
            truncated: false,
            chart: None,
            options: Vec::new(),
            message: decision.message,
            cost: Cost::none(),
            cache: None,
            error_kind: None,
            generated_by: "planner".into(),
            privacy_receipt: None,
            estimate: None,
            stages: Vec::new(),
            mappings: plan.mappings,
            chart_svg: None,
            history_id: None,
        };
        if let Some(llm) = self
            .llm
            .as_ref()
            .filter(|_| router::engine(route, self.options.ai, true) == router::Engine::Llm)
        {
            // The cache first: a hit needs neither the provider nor the budget.
            let mut timer = crate::trace::Timer::start("cache");
            let cached = self.cache_lookup(store, &rewritten, &plan.slots, llm.as_ref());
            timer.outcome(match &cached {
                None => "off",
                Some((_, _, Some(hit), _)) => hit.kind.as_str(),
                Some(_) => "miss",
            });
            drop(timer);
            if let Some((_, _, Some(hit), _)) = &cached {
                let mut from_cache = answer.clone();
                // A cached Python answer may start a paid remote sandbox: it is budgeted too.
                let scopes = self.budget_scopes(llm.as_ref());
                let scope_refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
                match self.apply_reply(
                    &hit.reply,
                    &mut from_cache,
                    cancel.as_ref(),
                    store.db().map(|db| (db, scope_refs.as_slice())),
                ) {
                    Ok(ai::Applied::Answered) => {
                        self.cache_count(store, Some(hit), cached.as_ref().map_or(0, |c| c.3));
                        from_cache.cache = Some(hit.kind.as_str().into());
                        from_cache.generated_by =
                            format!("{}/{}", llm.kind().as_str(), llm.model());
                        from_cache.mappings.clear();
                        // Nothing was paid to the AI; a remote sandbox run (if any) is the cost.
                        if from_cache.cost.total_nanos > 0 {
                            from_cache.cost.source = CostSource::Estimate;
                        }
                        from_cache.message = format!(
                            "Answered from cache, saved {}. {}",
                            ai::usd(crate::money::dollars(hit.cost_nanos)),
                            from_cache.message
                        )
                        .trim()
                        .to_string();
                        return Ok(from_cache);
                    }
                    Err(AskError::Exec(ExecError::Cancelled)) => {
                        return Err(AskError::Exec(ExecError::Cancelled))
                    }
                    // Its code no longer runs here: forget it and ask afresh.
                    _ => self.cache_forget(store, hit.id),
                }
            }
            if let Some(c) = &cached {
                self.cache_count(store, None, c.3);
                answer.cache = Some("miss".into());
            }
            let cached = cached.map(|(key, embedding, hit, _)| (key, embedding, hit));
            let now = self.clock.utc();
            let provider = llm.kind().as_str();
            let mut timer = crate::trace::Timer::start("breaker");
            let paused = self.breaker_allow(store, provider, now);
            timer.outcome(if paused.is_some() { "open" } else { "closed" });
            drop(timer);
            if let Some((until, why)) = paused {
                // The provider failed repeatedly: answer offline at once and say until when.
                self.fill_offline(&mut answer, plan.sql, &plan.title, decision.options, cancel)?;
                note_freshness(&mut answer, plan.freshness.as_deref());
                let why = why.map(|w| format!(" (last: {w})")).unwrap_or_default();
                answer.message = format!(
                    "{} is paused until {} after repeated failures{why}, so this was answered offline. {}",
                    llm.kind().display_name(),
                    crate::breaker::local_time(until),
                    answer.message
                )
                .trim()
                .to_string();
                answer.error_kind = Some("provider_paused".into());
                return Ok(answer);
            }
            let mut offline = answer.clone();
            let outcome = self.ask_llm(
                store,
                llm.as_ref(),
                &mut answer,
                today,
                cancel.as_ref(),
                approved,
            );
            let health = match &outcome {
                Err(AskError::Llm(e)) if e.is_outage() => {
                    crate::breaker::Outcome::Outage(sentence_case(&e.to_string()))
                }
                Err(AskError::Llm(_)) => crate::breaker::Outcome::Neutral,
                // Blocked by the budget or waiting for approval: nothing was sent.
                Ok(_) if answer.route == Route::Blocked => crate::breaker::Outcome::Neutral,
                // Nothing reached the provider (the budget database could not be opened).
                Err(AskError::Config(_)) => crate::breaker::Outcome::Neutral,
                _ => crate::breaker::Outcome::Success,
            };
            self.breaker_record(store, provider, &health, self.clock.utc());
            if let (Ok(Some(reply)), Some((key, Some(embedding), _))) = (&outcome, &cached) {
                self.cache_store(store, key, embedding, reply, answer.cost.total_nanos);
            }
            return match outcome {
                Ok(_) => Ok(answer),
                Err(AskError::Llm(crate::llm::provider::LlmError::Cancelled)) => {
                    Err(AskError::Exec(ExecError::Cancelled))
                }
                // The AI could not help: say why, and give the offline reading instead.
                Err(AskError::Llm(e)) => {
                    tracing::warn!(kind = e.kind(), error = %e, "the AI call failed; answering offline");
                    self.fill_offline(
                        &mut offline,
                        plan.sql,
                        &plan.title,
                        decision.options,
                        cancel,
                    )?;
                    note_freshness(&mut offline, plan.freshness.as_deref());
                    offline.message =
                        format!("{}. {}", sentence_case(&e.to_string()), offline.message)
                            .trim()
                            .to_string();
                    offline.error_kind = Some(e.kind().to_string());
                    offline.privacy_receipt = answer.privacy_receipt;
                    offline.cost = answer.cost;
                    Ok(offline)
                }
                Err(other) => Err(other),
            };
        }
        self.fill_offline(&mut answer, plan.sql, &plan.title, decision.options, cancel)?;
        note_freshness(&mut answer, plan.freshness.as_deref());
        Ok(answer)
    }

    /// The cache's key for `question`, its embedding (when the exact layer missed and it could be
    /// made), the entry it hits (if any) and how long the lookup took in µs; `None` when there is
    /// no cache.
    fn cache_lookup(
        &self,
        store: &mut Store,
        question: &str,
        slots: &[String],
        llm: &dyn LlmProvider,
    ) -> Option<CacheLookup> {
        let config = self.options.cache.as_ref()?;
        let db = store.db()?;
        let started = std::time::Instant::now();
        let key = crate::cache::CacheKey::new(
            question,
            slots.to_vec(),
            &self.fingerprint,
            &format!("{}/{}", llm.kind().as_str(), llm.model()),
            crate::llm::prompt::PROMPT_VERSION,
            &self.source.describe(),
        );
        let now = self.clock.epoch_secs();
        // The exact layer first: it needs no embedding (which may be a paid network call, held to
        // the budget like an AI call: the embedder's provider, this source and the global scope).
        let mut embedding = None;
        let hit = match db.cache_exact(&key, now) {
            Ok(Some(hit)) => Some(hit),
            Ok(None) => match self.embed_within_budget(db, question) {
                Ok(e) => {
                    let hit = db
                        .cache_semantic(&key, &e, &self.embedder.id(), config.threshold, now)
                        .inspect_err(|e| tracing::warn!(error = %e, "the cache could not be read"))
                        .ok()
                        .flatten();
                    embedding = Some(e);
                    hit
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the question could not be embedded; only exact matches are reused");
                    None
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "the cache could not be read");
                None
            }
        };
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        tracing::debug!(
            hit = hit.as_ref().map(|h| h.kind.as_str()),
            micros,
            "cache lookup"
        );
        Some((key, embedding, hit, micros))
    }

    /// Embeds `question` with the cache's embedder, reserving a paid embedding in the budget
    /// first and settling it after ([`crate::cache::embed::embed_within_budget`]).
    fn embed_within_budget(
        &self,
        db: &mut crate::history::AppDb,
        question: &str,
    ) -> Result<Vec<f32>, crate::cache::embed::EmbedError> {
        let scopes = [
            "global".to_string(),
            format!("provider:{}", self.embedder.provider()),
            format!("source:{}", self.source.describe()),
        ];
        let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
        crate::cache::embed::embed_within_budget(
            self.embedder.as_ref(),
            db,
            &scopes,
            question,
            self.clock.now(),
        )
    }

    fn cache_count(&self, store: &mut Store, hit: Option<&crate::cache::Hit>, micros: u64) {
        store.with("the cache's statistics could not be updated", |db| {
            db.cache_count(hit, micros, self.clock.epoch_secs())
        });
    }

    fn cache_forget(&self, store: &mut Store, id: i64) {
        store.with("a cached answer could not be forgotten", |db| {
            db.cache_forget(id)
        });
    }

    fn cache_store(
        &self,
        store: &mut Store,
        key: &crate::cache::CacheKey,
        embedding: &[f32],
        reply: &str,
        cost_nanos: i64,
    ) {
        let Some(config) = self.options.cache.as_ref() else {
            return;
        };
        let embedder = self.embedder.id();
        let entry = crate::cache::Entry {
            key,
            embedding,
            embedder: &embedder,
            reply,
            cost_nanos,
        };
        store.with("the answer could not be cached", |db| {
            db.cache_store(&entry, config, self.clock.epoch_secs())
        });
    }

    /// Whether the provider's breaker lets a call out; `Some((until, why))` when it is paused.
    /// Kept in the app database when there is one (shared by the app and CLI processes), else
    /// (or when it cannot be read) in this process.
    fn breaker_allow(
        &self,
        store: &mut Store,
        provider: &str,
        now: chrono::NaiveDateTime,
    ) -> Option<(chrono::NaiveDateTime, Option<String>)> {
        let shared = store.with(
            "the circuit breaker's state could not be read; using this process's",
            |db| db.breaker_allow(provider, self.options.breaker, now),
        );
        match shared {
            Some(allowed) => allowed.err(),
            None => self
                .breaker
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .allow(now)
                .err()
                .map(|until| (until, None)),
        }
    }

    fn breaker_record(
        &self,
        store: &mut Store,
        provider: &str,
        outcome: &crate::breaker::Outcome,
        now: chrono::NaiveDateTime,
    ) {
        let saved = store.with(
            "the circuit breaker's state could not be saved; using this process's",
            |db| db.breaker_record(provider, self.options.breaker, outcome, now),
        );
        if saved.is_some() {
            return;
        }
        let mut breaker = self
            .breaker
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match outcome {
            crate::breaker::Outcome::Success => breaker.success(),
            crate::breaker::Outcome::Outage(_) => breaker.outage(now),
            crate::breaker::Outcome::Neutral => breaker.neutral(now),
        }
    }

    /// The planner's answer: run its SQL (route `answer`), or offer its rephrasings (`clarify`).
    fn fill_offline(
        &self,
        answer: &mut Answer,
        sql: Option<String>,
        title: &str,
        options: Vec<String>,
        cancel: Option<Arc<AtomicBool>>,
    ) -> Result<(), AskError> {
        match answer.route {
            Route::Answer => {
                let Some(sql) = sql else {
                    answer.route = Route::Fallback;
                    return Ok(());
                };
                let (checked, result) = self.run_sql(&sql, cancel)?;
                self.fill_result(answer, checked, result, title);
            }
            Route::Clarify => answer.options = options,
            Route::Fallback | Route::Refused | Route::Blocked => {}
        }
        Ok(())
    }

    /// Guards and runs SQL (the planner's or the AI's) on the source's read-only connection.
    fn run_sql(
        &self,
        sql: &str,
        cancel: Option<Arc<AtomicBool>>,
    ) -> Result<(String, crate::executor::QueryResult), AskError> {
        let mut timer = crate::trace::Timer::start("guard");
        let checked = guard::check_for(sql, self.source.dialect())
            .inspect_err(|_| timer.outcome("refused"))?;
        drop(timer);
        let mut timer = crate::trace::Timer::start("run");
        let result = self
            .source
            .run(&checked, &self.options.limits, cancel)
            .inspect_err(|_| timer.outcome("failed"))
            .map_err(AskError::Exec)?;
        if result.truncated {
            timer.outcome("truncated");
        }
        Ok((checked.into_string(), result))
    }

    /// Puts a query's result, its SQL and its chart into `answer`.
    fn fill_result(
        &self,
        answer: &mut Answer,
        checked: String,
        result: crate::executor::QueryResult,
        title: &str,
    ) {
        let timer = crate::trace::Timer::start("chart");
        answer.chart = chart::choose(&result.columns, &result.rows, title);
        drop(timer);
        answer.language = Some(Language::Sql);
        answer.code = Some(checked);
        answer.columns = result.columns;
        answer.rows = result.rows;
        answer.truncated = result.truncated;
        self.note_rows(answer);
    }

    /// "No rows match" / "Showing the first N rows".
    fn note_rows(&self, answer: &mut Answer) {
        if answer.rows.is_empty() {
            answer.message = "No rows match this question. Try a wider time range.".into();
        } else if answer.truncated {
            answer.message = format!("Showing the first {} rows.", self.options.limits.max_rows);
        }
    }
}

/// The sample database in `data_dir`, created (for `today`) when it does not exist yet.
pub fn ensure_sample_db(data_dir: &Path, today: NaiveDate) -> Result<PathBuf, AskError> {
    let path = crate::datadir::sample_db_path(data_dir);
    if !path.is_file() {
        crate::sample::write_sample_db(&path, today, crate::sample::DEFAULT_ORDERS)?;
    }
    Ok(path)
}

/// Adds the planner's note that the question's period runs past the data ("Your data ends …,
/// so June 2026 is partial.") to an answer it ran.
fn note_freshness(answer: &mut Answer, note: Option<&str>) {
    if let (Route::Answer, Some(note)) = (answer.route, note) {
        answer.message = format!("{} {note}", answer.message).trim().to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipeline() -> (tempfile::TempDir, Pipeline) {
        let dir = tempfile::tempdir().unwrap();
        let path = ensure_sample_db(dir.path(), today()).unwrap();
        assert!(
            path.is_file(),
            "the sample database is created on first use"
        );
        (
            dir,
            Pipeline::open(&path, PipelineOptions::default()).unwrap(),
        )
    }

    fn today() -> NaiveDate {
        "2026-11-26".parse().unwrap()
    }

    #[test]
    fn an_answer_carries_table_chart_code_and_zero_cost() {
        let (_d, p) = pipeline();
        let a = p
            .ask("show me last month's sales by region", today(), None)
            .unwrap();
        assert_eq!(a.route, Route::Answer);
        assert_eq!(a.columns, ["region", "revenue"]);
        assert_eq!(a.rows.len(), 5);
        assert_eq!(
            a.chart.as_ref().map(|c| c.kind),
            Some(chart::ChartKind::Bar)
        );
        assert!(a.code.as_deref().is_some_and(|c| c.starts_with("SELECT")));
        assert_eq!(a.cost, Cost::none());
        let json = a.to_json();
        assert_eq!(json["cost"]["source"], "none");
    }

    #[test]
    fn a_planner_answer_says_what_each_word_was_read_as_in_the_persons_words() {
        let (d, p) = pipeline();
        let a = p.ask("average price by category", today(), None).unwrap();
        let price = a
            .mappings
            .iter()
            .find(|m| m.said == "price")
            .expect("\"price\" is listed");
        assert_eq!(
            (price.table.as_str(), price.column.as_str()),
            ("products", "unit_price"),
            "{:?}",
            a.mappings
        );
        assert!(
            price.alternatives.iter().any(|c| c == "unit_cost"),
            "the other figure is offered: {price:?}"
        );
        let json = &a.to_json()["mappings"];
        let listed = json
            .as_array()
            .and_then(|all| all.iter().find(|m| m["said"] == "price"))
            .expect("in the JSON");
        assert_eq!(
            (&listed["table"], &listed["column"]),
            (&json!("products"), &json!("unit_price")),
            "{json}"
        );
        assert!(
            listed["alternatives"]
                .as_array()
                .is_some_and(|a| a.contains(&json!("unit_cost"))),
            "{json}"
        );

        // Corrected through the glossary, the chip still shows the person's own word.
        let glossary = vec![crate::glossary::Entry {
            term: "price".into(),
            meaning: "unit cost".into(),
        }];
        let path = crate::datadir::sample_db_path(d.path());
        let taught = Pipeline::open(
            &path,
            PipelineOptions {
                glossary,
                ..PipelineOptions::default()
            },
        )
        .unwrap();
        let b = taught
            .ask("average price by category", today(), None)
            .unwrap();
        assert!(
            b.code
                .as_deref()
                .is_some_and(|c| c.contains("AVG(unit_cost)")),
            "{:?}",
            b.code
        );
        let price = b
            .mappings
            .iter()
            .find(|m| m.said == "price")
            .expect("still \"price\"");
        assert_eq!(price.column, "unit_cost", "{:?}", b.mappings);
    }

    #[test]
    fn unsure_unrelated_and_destructive_questions_run_nothing() {
        let (_d, p) = pipeline();
        for (q, route) in [
            ("how are we doing?", Route::Clarify),
            ("what's the weather in Paris?", Route::Fallback),
            ("delete all orders", Route::Refused),
        ] {
            let a = p.ask(q, today(), None).unwrap();
            assert_eq!(a.route, route, "{q}");
            assert!(a.code.is_none() && a.rows.is_empty(), "{q}: nothing runs");
            assert!(!a.message.is_empty(), "{q}: says why");
        }
    }

    #[test]
    fn the_configured_route_threshold_decides_and_its_clarification_offers_rephrasings() {
        let (d, _) = pipeline();
        let path = crate::datadir::sample_db_path(d.path());
        let strict = Thresholds {
            answer: 0.9,
            ..Thresholds::default()
        };
        let p = Pipeline::open(
            &path,
            PipelineOptions {
                thresholds: strict,
                ..PipelineOptions::default()
            },
        )
        .unwrap();
        let a = p.ask("by region last month", today(), None).unwrap();
        assert!(
            (0.8..0.9).contains(&a.confidence),
            "read at {}: {}",
            a.confidence,
            a.interpretation
        );
        assert_eq!(a.route, Route::Clarify, "below \"answer offline at\" 0.9");
        assert!(a.code.is_none() && a.rows.is_empty(), "nothing runs");
        assert!(!a.message.is_empty(), "says why it asks");
        assert!(
            (1..=3).contains(&a.options.len()),
            "offers 1–3 rephrasings: {:?}",
            a.options
        );
        for option in &a.options {
            let again = p.ask(option, today(), None).unwrap();
            assert_eq!(
                again.route,
                Route::Answer,
                "{option:?} offered at 0.9 is answered at 0.9 ({})",
                again.confidence
            );
        }
    }

    #[test]
    fn bad_questions_and_databases_are_plain_errors() {
        let (d, p) = pipeline();
        assert_eq!(
            p.ask("   ", today(), None).unwrap_err().kind(),
            "empty_question"
        );
        assert_eq!(
            p.ask(&"sales ".repeat(300), today(), None)
                .unwrap_err()
                .kind(),
            "question_too_long"
        );
        let missing = Pipeline::open(&d.path().join("missing.sqlite"), PipelineOptions::default())
            .err()
            .unwrap();
        assert_eq!(missing.kind(), "database_unavailable");
        assert!(missing.to_string().contains("no database at"), "{missing}");
    }

    #[test]
    fn a_cancelled_question_stops() {
        let (_d, p) = pipeline();
        let cancel = Arc::new(AtomicBool::new(true));
        let err = p
            .ask("revenue by customer", today(), Some(cancel))
            .unwrap_err();
        assert_eq!(err.kind(), "cancelled");
    }
}
