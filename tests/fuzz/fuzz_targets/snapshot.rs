//! Snapshot loading. No panic; what loads saves and loads again to the same state and log head.
#![no_main]

#[path = "../common.rs"]
#[allow(dead_code)]
mod common;

use libfuzzer_sys::fuzz_target;
use tijdreg::ledger::Ledger;
use tijdreg::qr::Keyring;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Ledger::from_snapshot_json(text, Keyring::default()) {
        Ok(l) => {
            let again = Ledger::from_snapshot_json(&l.snapshot_json(), Keyring::default()).expect("a saved snapshot loads");
            assert_eq!(again.log_head(), l.log_head());
            assert_eq!(again.state(), l.state());
        }
        Err(e) => common::assert_no_insz(&e.message_en()),
    }
});
