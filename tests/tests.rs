//! Plainsight's one integration-test binary.
//!
//! - `bench_app`: P5 of `scripts/bench`, the release app's cold start and memory after 20
//!   questions (ignored: a benchmark, not a test).
//! - `cli`: the `plainsight` command line against generated sample databases.
//! - `corpus`: the adversarial corpus in `tests/corpus/` (SQL and Python cases, and a selection
//!   through `ask` with a loopback AI provider) run through the CLI four at a time: each ends in
//!   time, stays under 1 GB, exits without a signal, writes nothing and sends no row to the AI;
//!   the SQL cases also run on PostgreSQL as the SELECT-only role and on MariaDB as the SELECT-only
//!   account (ignored by plain `cargo test`).
//! - `crash`: the CLI killed with SIGKILL at seeded random points during imports and history,
//!   cache and budget writes; both databases stay intact and keep every committed record.
//! - `eval`: question sets (the dev set, Chinook, Northwind, and real public datasets imported
//!   through `plainsight import`) scored like `../shared/eval/run-eval`, with a per-question
//!   report and a confidence calibration table (the real-data sets are ignored by plain
//!   `cargo test`: they need the files `scripts/lib/eval-data.sh` fetches).
//! - `in_place`: a generated 1,000,000-row CSV and the same rows as Parquet opened in place
//!   through the DuckDB worker answer dev-style questions (checked against sums computed from the
//!   generated rows), and no other file can be read from SQL, with or without the guard
//!   (ignored by plain `cargo test`: it needs the worker `scripts/test` builds).
//! - `keychain`: the real Secret Service (gnome-keyring in the D-Bus session scripts/test starts):
//!   entries stored, read, replaced, deleted; a planted key never written or printed (ignored by
//!   plain `cargo test`).
//! - `llm`: `plainsight ask` answering through an AI provider played by a loopback server that
//!   speaks Perplexity's wire format, with its cost and error messages.
//! - `mysql`: the dev questions served from a real MariaDB server that `scripts/test` starts on
//!   127.0.0.1, through a SELECT-only account and scored by `../shared/eval/run-eval`, and the
//!   adversarial statements, with and without the guard (ignored by plain `cargo test`).
//! - `package`: the `.deb` from `scripts/package` (ignored: it needs that slow release build).
//! - `postgres`: the same questions served from a real PostgreSQL cluster that `scripts/test`
//!   starts on 127.0.0.1, through a SELECT-only role, and the adversarial statements (ignored
//!   by plain `cargo test`).
//! - `window`: the real app window driven through WebDriver under Xvfb (ignored by plain
//!   `cargo test`; `scripts/test` runs it with `--include-ignored`).

mod bench_app;
mod cli;
mod corpus;
mod crash;
mod eval;
mod in_place;
mod keychain;
mod llm;
mod mysql;
mod package;
mod postgres;
mod window;
