//! Shared by the Python tests: the worker program, built once per test binary.

use std::path::PathBuf;
use std::sync::OnceLock;

/// Builds `plainsight-python-worker` (debug) once and returns its path.
pub fn worker_program() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let status = std::process::Command::new(env!("CARGO"))
            .args(["build", "-q", "-p", "plainsight-python-worker"])
            .current_dir(&root)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the worker");
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
        target
            .join("debug")
            .join(plainsight_core::python::WORKER_NAME)
    })
    .clone()
}
