//! `tijdreg-conformance [DIR]`: runs every case file of DIR (default `tests/conformance`),
//! prints one line per case and `N passed, M failed`, exits 1 on any failure.
//!
//! `tijdreg-conformance --sign FILE...`: fills the offline-batch signatures written `"$sign"`
//! in those case files (ATT-6, docs/conformance.md).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--sign") {
        for path in &args[1..] {
            let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let mut case: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
            match tijdreg_workspace::sign_batches(&mut case) {
                Ok(n) => {
                    let out = serde_json::to_string_pretty(&case).unwrap_or_default();
                    std::fs::write(path, out + "\n").unwrap_or_else(|e| panic!("{path}: {e}"));
                    println!("{path}: {n} batch(es) signed");
                }
                Err(e) => {
                    eprintln!("{path}: {e}");
                    std::process::exit(2);
                }
            }
        }
        return;
    }
    let dir = args.first().cloned().unwrap_or_else(|| "tests/conformance".into());
    match tijdreg_workspace::run_dir(std::path::Path::new(&dir), &mut std::io::stdout()) {
        Ok(0) => {}
        Ok(_) => std::process::exit(1),
        Err(e) => {
            eprintln!("tijdreg-conformance: cannot read {dir}: {e}");
            std::process::exit(2);
        }
    }
}
