//! INSZ parsing (ID-1, ID-3). No panic; a parsed number parses again from both its forms to
//! itself; its Display, Debug and masked form never show the sequence and check digits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tijdreg::identity::Insz;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Insz::parse(text) {
        Ok(n) => {
            assert_eq!(Insz::parse(&n.reveal()).ok(), Some(n.clone()));
            assert_eq!(Insz::parse(&n.reveal_formatted()).ok(), Some(n.clone()));
            let tail = n.reveal().get(6..).unwrap_or_default().to_owned();
            for shown in [n.to_string(), format!("{n:?}"), n.masked()] {
                assert!(!shown.contains(&tail), "{shown}");
            }
        }
        Err(e) => {
            // The messages are fixed texts: no run of six digits could come from anywhere
            // but the input.
            let msg = e.message_en();
            let longest = msg.split(|c: char| !c.is_ascii_digit()).map(str::len).max().unwrap_or(0);
            assert!(longest < 6, "digits of the input echoed: {msg}");
        }
    }
});
