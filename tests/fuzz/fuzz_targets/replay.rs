//! Event-log replay (JSON lines). No panic; a log that replays writes itself out again and that
//! log replays to the same state (AUD-2).
#![no_main]

#[path = "../common.rs"]
#[allow(dead_code)]
mod common;

use libfuzzer_sys::fuzz_target;
use tijdreg::ledger::Ledger;
use tijdreg::qr::Keyring;

fuzz_target!(|data: &[u8]| {
    match Ledger::replay_jsonl(data, Keyring::default()) {
        Ok(l) => {
            let again = Ledger::replay_jsonl(l.events_jsonl().as_bytes(), Keyring::default()).expect("own log replays");
            assert_eq!(again.log_head(), l.log_head());
            assert_eq!(again.state(), l.state());
        }
        Err(e) => common::assert_no_insz(&e.message_en()),
    }
});
