//! What happened while a question was answered: one [`Stage`] per pipeline step (plan, cache,
//! breaker, budget, AI call, repair, guard, run, sandbox, chart) with its duration and outcome,
//! each also a `tracing` span for the local log. The stages of one question become one trace for
//! a [`Tracer`] — Langfuse over OTLP/JSON when the person opted in ([`langfuse`]) — and the
//! per-answer timing line in the app.
//!
//! Nothing here holds a secret or a data row: stages carry names, durations, model names, token
//! counts, costs, the prompt *without* sample rows and the generated code, and a generation's
//! texts pass [`crate::redact::redact`] when they are recorded (a reply may quote a key).

pub mod langfuse;

use std::cell::RefCell;
use std::time::{Duration, Instant, SystemTime};

/// A generation's details (the AI call), for the trace's `generation` observation.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// `provider/model`.
    pub model: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    /// The prompt as sent, without data rows.
    pub input: String,
    /// The reply's code (or the reply itself when it had none).
    pub output: String,
}

/// One step of answering a question.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// `plan`, `cache`, `breaker`, `budget`, `llm`, `repair`, `guard`, `run`, `sandbox`, `chart`.
    pub name: &'static str,
    pub started: SystemTime,
    pub duration: Duration,
    /// `ok`, `hit`, `miss`, `refused`, `failed`, … in a word or two.
    pub outcome: String,
    pub generation: Option<Generation>,
}

thread_local! {
    static STAGES: RefCell<Vec<Stage>> = const { RefCell::new(Vec::new()) };
}

/// Starts recording a question's stages on this thread (the pipeline answers a question on one
/// thread from start to end).
pub(crate) fn begin() {
    STAGES.with(|s| s.borrow_mut().clear());
}

/// The stages recorded since [`begin`].
pub(crate) fn take() -> Vec<Stage> {
    STAGES.with(|s| std::mem::take(&mut *s.borrow_mut()))
}

/// Records a stage that started at `started` and ends now.
pub(crate) fn record(
    name: &'static str,
    started: Instant,
    outcome: &str,
    generation: Option<Generation>,
) {
    let generation = generation.map(|g| Generation {
        input: crate::redact::redact(&g.input),
        output: crate::redact::redact(&g.output),
        ..g
    });
    let duration = started.elapsed();
    let wall = SystemTime::now()
        .checked_sub(duration)
        .unwrap_or_else(SystemTime::now);
    tracing::info!(
        stage = name,
        ms = duration.as_secs_f64() * 1000.0,
        outcome,
        "stage"
    );
    STAGES.with(|s| {
        s.borrow_mut().push(Stage {
            name,
            started: wall,
            duration,
            outcome: outcome.to_string(),
            generation,
        });
    });
}

/// Times a stage: records it when dropped (outcome `ok` unless [`Timer::outcome`] said otherwise)
/// and keeps a `tracing` span open meanwhile.
pub(crate) struct Timer {
    name: &'static str,
    started: Instant,
    outcome: &'static str,
    _span: tracing::span::EnteredSpan,
}

impl Timer {
    pub(crate) fn start(name: &'static str) -> Self {
        Self {
            name,
            started: Instant::now(),
            outcome: "ok",
            _span: tracing::info_span!("stage", name).entered(),
        }
    }

    pub(crate) fn outcome(&mut self, outcome: &'static str) {
        self.outcome = outcome;
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        record(self.name, self.started, self.outcome, None);
    }
}

/// "plan 3 ms · AI 1.2 s · run 18 ms · chart 6 ms": the stages that took time, summed by name.
pub fn summary(stages: &[Stage]) -> String {
    let mut parts: Vec<(&str, Duration)> = Vec::new();
    for s in stages {
        let label = match s.name {
            "llm" => "AI",
            // Choosing and drawing the chart are one step to the person.
            "draw" => "chart",
            other => other,
        };
        match parts.iter_mut().find(|(n, _)| *n == label) {
            Some((_, d)) => *d += s.duration,
            None => parts.push((label, s.duration)),
        }
    }
    parts
        .into_iter()
        .filter(|(_, d)| *d >= Duration::from_micros(500))
        .map(|(n, d)| {
            if d >= Duration::from_secs(1) {
                format!("{n} {:.1} s", d.as_secs_f64())
            } else {
                format!("{n} {} ms", d.as_millis())
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// One question's trace, ready to export.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionTrace {
    pub question: String,
    /// The answer's route (`answer`, `clarify`, …) and error kind, if any.
    pub route: String,
    pub error_kind: Option<String>,
    pub cache: Option<String>,
    pub cost_usd: f64,
    pub started: SystemTime,
    pub duration: Duration,
    pub stages: Vec<Stage>,
}

/// Where traces go. Exporting never blocks or fails an answer.
pub trait Tracer: Send + Sync {
    fn export(&self, trace: QuestionTrace);
    /// Sends what is pending, waiting at most `limit` (the CLI calls this before it exits).
    fn flush(&self, limit: Duration);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_recorded_per_thread_and_summed_by_name() {
        begin();
        {
            let _t = Timer::start("plan");
        }
        record(
            "llm",
            Instant::now()
                .checked_sub(Duration::from_millis(1_200))
                .unwrap_or_else(Instant::now),
            "ok",
            None,
        );
        record(
            "run",
            Instant::now()
                .checked_sub(Duration::from_millis(18))
                .unwrap_or_else(Instant::now),
            "ok",
            None,
        );
        record(
            "run",
            Instant::now()
                .checked_sub(Duration::from_millis(2))
                .unwrap_or_else(Instant::now),
            "ok",
            None,
        );
        std::thread::spawn(|| record("chart", Instant::now(), "ok", None))
            .join()
            .unwrap();
        let stages = take();
        assert_eq!(
            stages.iter().map(|s| s.name).collect::<Vec<_>>(),
            ["plan", "llm", "run", "run"],
            "another thread's stages are its own"
        );
        assert_eq!(summary(&stages), "AI 1.2 s · run 20 ms");
        assert!(take().is_empty());
    }
}
