fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let r = tijdreg_workspace::synth::records(7, n);
    let text = serde_json::to_string(&r).unwrap();
    drop(r);
    let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
    let t = std::time::Instant::now();
    let c0 = tijdreg::subsidy::compact_from_json(&text).unwrap();
    let t1 = t.elapsed();
    let c = c0;
    let t2 = t.elapsed();
    let rep = tijdreg::subsidy::report_compact(&c, at).unwrap();
    let t3 = t.elapsed();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let t4 = t.elapsed();
    eprintln!(
        "{} MB: parse {:?}, compact {:?}, report {:?} ({} lines); serde Value parse {:?}",
        text.len() / 1_000_000,
        t1,
        t2 - t1,
        t3 - t2,
        rep.lines().len(),
        t4 - t3
    );
    drop(v);
}
