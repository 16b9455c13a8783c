//! Plainsight's one integration-test binary.
//!
//! - `cli`: the `plainsight` command line against generated sample databases.
//! - `window`: the real app window driven through WebDriver under Xvfb (ignored by plain
//!   `cargo test`; `scripts/test` runs it with `--include-ignored`).

mod cli;
mod window;
