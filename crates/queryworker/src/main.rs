//! `plainsight-query-worker`: runs generated SQL on a SQLite file, in a process of its own that
//! the app kills at the time limit or on Stop. It first limits its own address space
//! (`RLIMIT_AS`) so that no query can take more memory than [`WORKER_ADDRESS_SPACE`], and the
//! size of any file it writes (`RLIMIT_FSIZE`: SQLite's temporary sort files) to
//! [`WORKER_FILE_SIZE`], then
//! answers requests until stdin closes. The protocol and the walls inside are
//! [`plainsight_core::executor::process`]'s.

use plainsight_core::executor::process::{serve, WORKER_ADDRESS_SPACE, WORKER_FILE_SIZE};
use rustix::process::{setrlimit, Resource, Rlimit};

fn main() {
    for (resource, bytes, what) in [
        (Resource::As, WORKER_ADDRESS_SPACE, "memory"),
        (Resource::Fsize, WORKER_FILE_SIZE, "temporary files"),
    ] {
        if let Err(e) = setrlimit(
            resource,
            Rlimit {
                current: Some(bytes),
                maximum: Some(bytes),
            },
        ) {
            // Without its walls the worker must not run queries: the host reports it.
            eprintln!("plainsight-query-worker: cannot limit its {what}: {e}");
            std::process::exit(70);
        }
    }
    serve();
}
