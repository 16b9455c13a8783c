//! Reusable pieces of the screen.

pub mod answer;
pub mod chart;
pub mod history;
pub mod table;
