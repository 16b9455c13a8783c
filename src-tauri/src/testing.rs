//! Test set-up shared by the app's modules.

/// An answer to `question` from the sample database generated for 26 November 2026 in a
/// throwaway data folder, as the offline planner gives it.
pub fn sample_answer(question: &str) -> plainsight_core::Answer {
    let dir = tempfile::tempdir().expect("temp dir");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).expect("valid date");
    let db = plainsight_core::ensure_sample_db(dir.path(), today).expect("sample database");
    let pipeline =
        plainsight_core::Pipeline::open(&db, plainsight_core::PipelineOptions::default())
            .expect("pipeline");
    pipeline.ask(question, today, None).expect("answer")
}
