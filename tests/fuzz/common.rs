//! Shared by the fuzz targets: the base fixture as a ledger, and the ID-3 check that no text
//! the engine produced holds a national number.

use serde_json::{Value, json};
use tijdreg::ledger::{Envelope, Ledger};

/// The conformance base fixture applied to a new ledger.
pub fn base() -> Ledger {
    let doc: Value = serde_json::from_str(include_str!("../conformance/fixtures/base.json")).expect("fixture");
    let mut l = Ledger::new();
    for (i, s) in doc["steps"].as_array().expect("steps").iter().enumerate() {
        let mut s = s.clone();
        s["command_id"] = json!(format!("base-{i}"));
        l.apply(&Envelope::from_value(s).expect("step")).expect("accepted");
    }
    l
}

/// ID-3: panics if `text` holds a valid national number, bare or formatted, as a number of
/// its own (not eleven digits inside a longer run of digits): the engine's own definition
/// (`tijdreg::identity::contains_insz`), with which it refuses ids, names and texts.
pub fn assert_no_insz(text: &str) {
    assert!(
        !tijdreg::identity::contains_insz(text),
        "a national number in an engine text: {text}"
    );
}
