//! A stream of arbitrary commands (JSON lines) against one ledger holding the base fixture.
//! No panic; a refusal changes nothing (AUD-2, same log head and event count); no refusal
//! message holds a national number (ID-3).
#![no_main]

#[path = "../common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tijdreg::ledger::{Envelope, Ledger};

static BASE: OnceLock<Ledger> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut l = BASE.get_or_init(common::base).clone();
    for line in text.lines().take(64) {
        let env = match Envelope::from_json(line) {
            Ok(e) => e,
            Err(e) => {
                common::assert_no_insz(&e.message_en());
                common::assert_no_insz(&e.message_nl());
                continue;
            }
        };
        let (head, count) = (l.log_head(), l.state().event_count);
        if let Ok(p) = l.preview(&env) {
            common::assert_no_insz(&serde_json::to_string(&p).unwrap_or_default());
        }
        match l.apply(&env) {
            Ok(_) => {}
            Err(e) => {
                assert_eq!((l.log_head(), l.state().event_count), (head, count), "a refusal changed the ledger");
                common::assert_no_insz(&e.message_en());
                common::assert_no_insz(&e.message_nl());
                common::assert_no_insz(&format!("{e:?}"));
            }
        }
    }
});
