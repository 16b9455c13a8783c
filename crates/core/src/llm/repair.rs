//! Structured-output repair (being written).
