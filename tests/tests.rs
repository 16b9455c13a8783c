//! Plainsight's one integration-test binary.
//!
//! - `cli`: the `plainsight` command line against generated sample databases.
//! - `eval`: question sets (the dev set, Chinook, Northwind) scored like `../shared/eval/run-eval`,
//!   with a per-question report and a confidence calibration table.
//! - `postgres`: the same questions served from a real PostgreSQL cluster that `scripts/test`
//!   starts on 127.0.0.1, through a SELECT-only role, and the adversarial statements (ignored
//!   by plain `cargo test`).
//! - `window`: the real app window driven through WebDriver under Xvfb (ignored by plain
//!   `cargo test`; `scripts/test` runs it with `--include-ignored`).

mod cli;
mod eval;
mod postgres;
mod window;
