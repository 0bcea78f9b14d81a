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

/// Every case of `tests/conformance-negative` is written to fail (an unknown field, a
/// `same_as` that differs, a `must_not_contain` that is there, an `$unordered` element without
/// a partner, a wrong query among the steps, a retired key, an ignored what-if command id):
/// the runner must fail each one, or it is not checking that part of the format.
#[test]
fn the_runner_fails_every_negative_case() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance-negative");
    for f in tijdreg_workspace::case_files(&dir).expect("readable") {
        let r = tijdreg_workspace::run_case(&f);
        assert!(!r.passed(), "{} passed but must fail", r.file);
    }
}
