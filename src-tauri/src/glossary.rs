//! The Ask screen's corrections: a word the planner read wrongly is taught through the glossary
//! ("worth" means "list price"), and the active source's pipeline is reopened with the new
//! glossary so the very next question reads the word that way.

use crate::error::AppError;
use crate::state::AppState;

/// Saves `term` = `meaning` (replacing an earlier meaning of `term`) and applies it at once.
pub fn set_entry(state: &AppState, term: &str, meaning: &str) -> Result<(), AppError> {
    if term.trim().is_empty() || meaning.trim().is_empty() {
        return Err(AppError::IncompleteGlossaryEntry);
    }
    state.history().set_glossary_entry(term, meaning)?;
    let mut setup = state.setup();
    setup.options.glossary = state.history().glossary()?;
    state.set_setup(setup.clone());
    // The running pipeline is swapped only once the new one is open: if the source cannot be
    // opened right now, questions still work and the entry applies from the next source switch.
    let active = state.history().active_source()?;
    if let Some(source) = active {
        let opened = plainsight_core::sources::open_source(
            &source,
            state.password(&source.location).as_deref(),
        )
        .map_err(AppError::Source)?;
        state.replace_pipeline(setup.open(opened)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use plainsight_core::history::AppDb;
    use plainsight_core::{datadir, ensure_sample_db};

    use super::*;
    use crate::state::{Setup, Today};

    #[test]
    fn a_taught_word_is_read_that_way_by_the_next_question() {
        let dir = tempfile::tempdir().unwrap();
        let today: chrono::NaiveDate = "2026-11-26".parse().unwrap();
        let sample = ensure_sample_db(dir.path(), today).unwrap();
        let mut db = AppDb::open(&datadir::app_db_path(dir.path())).unwrap();
        let (pipeline, _) =
            crate::sources::open_at_startup(&mut db, &sample, &Setup::default()).unwrap();
        let state = AppState::new(
            pipeline,
            db,
            Today::Fixed(today),
            dir.path().to_path_buf(),
            None,
            Setup::default(),
        );
        let sql = |state: &AppState| {
            state
                .pipeline()
                .ask("average price by category", today, None)
                .unwrap()
                .code
                .unwrap_or_default()
        };
        assert!(
            sql(&state).contains("AVG(unit_price)"),
            "before: {}",
            sql(&state)
        );

        set_entry(&state, "price", "unit cost").unwrap();
        assert!(
            sql(&state).contains("AVG(unit_cost)"),
            "the running app reads the word the new way: {}",
            sql(&state)
        );
        assert_eq!(
            state.setup().options.glossary.len(),
            1,
            "and so does every pipeline opened later (a source switch)"
        );
        assert!(matches!(
            set_entry(&state, "price", "  "),
            Err(AppError::IncompleteGlossaryEntry)
        ));
    }
}
