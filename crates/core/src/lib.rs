//! plainsight-core: the whole question-answering pipeline, with no GUI dependency.
//!
//! A question flows one way: [`planner`] (understands it, with a confidence) → [`router`]
//! (answer / clarify / fallback / refused) → [`guard`] (static SQL validation) →
//! [`executor`] (read-only SQLite with an authorizer, time limit and row cap) → [`chart`]
//! (chart choice and Plotters rendering) → [`Answer`]. [`Pipeline`] wires them together; the
//! CLI and the desktop app are thin shells over it.

pub mod breaker;
pub mod budget;
pub mod cache;
pub mod chart;
pub mod clock;
pub mod datadir;
pub mod dialect;
pub mod executor;
pub mod export;
pub mod glossary;
pub mod guard;
pub mod history;
mod http;
pub mod import;
pub mod llm;
pub mod logs;
pub mod money;
pub mod pipeline;
pub mod planner;
pub mod python;
pub mod redact;
pub mod router;
pub mod sample;
pub mod schema;
pub mod secret;
pub mod secrets;
pub mod settings;
pub mod setup;
pub mod source;
pub mod sources;
pub mod trace;
pub mod worker;

pub use pipeline::{
    ensure_sample_db, AiMode, Answer, AskError, Cost, CostItem, CostSource, Estimate, Language,
    Pipeline, PipelineOptions,
};
pub use router::Route;

/// `bytes` random bytes as hex, for ids (trace and span ids, budget reservations). `RandomState`
/// is seeded from the OS and differs for every instance: unpredictable enough for ids, no crate
/// needed.
pub(crate) fn random_hex(bytes: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::with_capacity(bytes * 2 + 16);
    while out.len() < bytes * 2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out.truncate(bytes * 2);
    out
}
