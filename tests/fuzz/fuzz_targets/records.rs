//! Plain records → report. No panic; the report and the totals-only path agree; every output
//! (CSV, explanation, JSON) is produced without a national number (ID-3).
#![no_main]

#[path = "../common.rs"]
#[allow(dead_code)]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let at = chrono::DateTime::from_timestamp(1_772_449_200, 0).expect("instant");
    match tijdreg::subsidy::report_json(text, at) {
        Ok(r) => {
            let totals = tijdreg::subsidy::totals_json(text, at).expect("the same records count twice");
            assert_eq!(totals, r.summary(), "totals and report disagree");
            let _ = r.to_csv();
            let _ = r.explain();
            let _ = serde_json::to_string(&r);
        }
        Err(e) => {
            common::assert_no_insz(&e.message_en());
            common::assert_no_insz(&e.message_nl());
        }
    }
});
