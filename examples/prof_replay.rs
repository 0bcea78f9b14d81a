//! Profiling aid: replays a JSON-lines event log read from a file.
fn main() {
    let path = std::env::args().nth(1).expect("a log file");
    let text = std::fs::read_to_string(path).expect("read");
    let t = std::time::Instant::now();
    let l = tijdreg::ledger::Ledger::replay_jsonl(text.as_bytes(), tijdreg::qr::Keyring::default()).expect("replay");
    eprintln!("{} events in {:?}", l.state().event_count, t.elapsed());
}
