//! `plainsight-query-worker`: runs generated SQL on a SQLite file, in a process of its own that
//! the app kills at the time limit or on Stop. It first limits its own address space
//! (`RLIMIT_AS`) so that no query can take more memory than [`WORKER_ADDRESS_SPACE`], then
//! answers requests until stdin closes. The protocol and the walls inside are
//! [`plainsight_core::executor::process`]'s.

use plainsight_core::executor::process::{serve, WORKER_ADDRESS_SPACE};
use rustix::process::{setrlimit, Resource, Rlimit};

fn main() {
    let limit = Rlimit { current: Some(WORKER_ADDRESS_SPACE), maximum: Some(WORKER_ADDRESS_SPACE) };
    if let Err(e) = setrlimit(Resource::As, limit) {
        // Without its memory wall the worker must not run queries: the host reports it.
        eprintln!("plainsight-query-worker: cannot limit its memory: {e}");
        std::process::exit(70);
    }
    serve();
}
