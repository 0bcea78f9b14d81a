//! Runs the conformance cases of `tests/conformance/` (the contract every binding runs too).

#[test]
fn conformance_cases_pass() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut out = Vec::new();
    let failed = tijdreg_workspace::run_dir(&dir, &mut out).expect("the conformance folder is readable");
    let text = String::from_utf8_lossy(&out);
    println!("{text}");
    let cases = tijdreg_workspace::case_files(&dir).expect("readable").len();
    assert!(cases >= 15, "only {cases} case files");
    assert_eq!(failed, 0, "{text}");
}
