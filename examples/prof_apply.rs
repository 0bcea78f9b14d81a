//! Profiling aid: applies the ledger benchmark's commands (see benches/ledger.rs).
fn main() {}
