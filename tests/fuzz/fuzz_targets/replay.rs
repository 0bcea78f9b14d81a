//! Event-log replay (JSON lines). No panic; a log that replays writes itself out again and that
//! log replays to the same state (AUD-2); the same log with its lines written by another JSON
//! writer (keys in another order: the engine then checks the chain on values, not on its own
//! bytes) replays to the same state and head too.
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
            let own = l.events_jsonl();
            let again = Ledger::replay_jsonl(own.as_bytes(), Keyring::default()).expect("own log replays");
            assert_eq!(again.log_head(), l.log_head());
            assert_eq!(again.state(), l.state());
            let other: String = own
                .lines()
                .map(|line| {
                    let v: serde_json::Value = serde_json::from_str(line).expect("own line is JSON");
                    format!("{v}\n")
                })
                .collect();
            let third = Ledger::replay_jsonl(other.as_bytes(), Keyring::default()).expect("reformatted log replays");
            assert_eq!(third.log_head(), l.log_head());
            assert_eq!(third.state(), l.state());
        }
        Err(e) => common::assert_no_insz(&e.message_en()),
    }
});
