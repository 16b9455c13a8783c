//! Reusable pieces of the screens.

pub mod add_file;
pub mod answer;
pub mod approval;
pub mod banners;
pub mod chart;
pub mod history;
pub mod import_summary;
pub mod mappings;
pub mod messages;
pub mod postgres_form;
pub mod source_card;
pub mod table;
