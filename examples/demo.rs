//! The main job: a realistic week of an ESF training project, run through the ledger, and
//! its subsidy report with explanations and receipt.
//!
//! `cargo run --example demo`

use serde_json::{Value, json};
use tijdreg::identity::Insz;
use tijdreg::ids::{PersonId, ProjectId};
use tijdreg::ledger::report::report as report_from_state;
use tijdreg::ledger::{Actor, Envelope, Event, Ledger};
use tijdreg::qr::Keyring;
use tijdreg::subsidy::Grouping;

struct Demo {
    ledger: Ledger,
    n: usize,
    qr_mails: usize,
}

impl Demo {
    /// Applies a command that must be accepted.
    fn ok(&mut self, actor: &str, at: &str, command: Value) {
        if let Err(e) = self.try_apply(actor, at, command) {
            panic!("demo command refused: {} ({}): {}", e.code(), e.rule(), e.message_en());
        }
    }

    /// Applies a command that the rules refuse, and shows why.
    fn refused(&mut self, what: &str, actor: &str, at: &str, command: Value) {
        match self.try_apply(actor, at, command) {
            Ok(_) => panic!("the demo expected a refusal: {what}"),
            Err(e) => println!(
                "  refused  {what}\n           [{} {}] {}\n           NL: {}",
                e.rule(),
                e.code(),
                e.message_en(),
                e.message_nl()
            ),
        }
    }

    fn try_apply(&mut self, actor: &str, at: &str, command: Value) -> Result<(), tijdreg::Error> {
        self.n += 1;
        let env = Envelope::from_value(
            json!({"command_id": format!("demo-{}", self.n), "actor": actor, "at": at, "command": command}),
        )?;
        let out = self.ledger.apply(&env)?;
        self.qr_mails += out
            .events
            .iter()
            .filter(|r| matches!(r.event, Event::QrCodeToSend { .. }))
            .count();
        Ok(())
    }
}

fn at(day: u32, hm: &str) -> String {
    format!("2026-03-{day:02}T{hm}:00+01:00")
}

fn main() {
    let mut keys = Keyring::default();
    keys.add(
        "2026-q1",
        b"demo secret held by the host, rotated each quarter".to_vec(),
    )
    .expect("key");
    let mut d = Demo {
        ledger: Ledger::with_keys(keys.clone()),
        n: 0,
        qr_mails: 0,
    };
    let feed = "2026-01-05T08:00:00+01:00";

    println!(
        "tijdreg {} — demo: project 2026-472-001 \"Lassen en veiligheid\", week of 2 March 2026\n",
        tijdreg::VERSION
    );
    println!("1. Reference data from ACM/IDM and the ESF back office");
    for (o, name) in [
        ("vzw-leren", "vzw Leren Werkt"),
        ("partner-bv", "Partner BV"),
        ("extern-nv", "Extern Opleidingen NV"),
        ("esf", "ESF Vlaanderen"),
    ] {
        d.ok(
            "system",
            feed,
            json!({"type": "create_organisation", "organisation": o, "name": name}),
        );
    }
    d.ok(
        "system",
        feed,
        json!({"type": "add_branch", "organisation": "vzw-leren", "branch": "gent", "name": "Vestiging Gent"}),
    );
    d.ok(
        "system",
        feed,
        json!({"type": "add_branch", "organisation": "vzw-leren", "branch": "brugge", "name": "Vestiging Brugge"}),
    );
    d.ok(
        "system",
        feed,
        json!({"type": "create_call", "call": "call-472", "name": "Oproep 472"}),
    );
    for p in [
        json!({"name": "unit_cost_per_participant_hour", "value": "12.50"}),
        json!({"name": "min_presence_ratio", "value": "0.5"}),
        json!({"name": "max_participant_hours_per_day", "value": "7"}),
        json!({"name": "project_subsidy_cap", "value": "25000.00"}),
    ] {
        d.ok(
            "system",
            feed,
            json!({"type": "set_parameter", "call": "call-472", "valid_from": "2026-01-01", "parameter": p}),
        );
    }
    // From Thursday the call's unit cost is indexed (ORG-3: dated parameters).
    d.ok("system", feed, json!({"type": "set_parameter", "call": "call-472", "valid_from": "2026-03-05", "parameter": {"name": "unit_cost_per_participant_hour", "value": "12.90"}}));
    let people = [
        ("p-olivia", "Olivia Organisator", Some("vzw-leren"), None),
        ("p-tom", "Tom Trainer", Some("vzw-leren"), None),
        ("p-eva", "Eva Extern", Some("extern-nv"), None),
        ("p-sam", "Sam Support", Some("esf"), None),
        ("p-pia", "Pia Partner", Some("partner-bv"), None),
        ("p-bob", "Bob Brugge", Some("vzw-leren"), None),
        ("p-sofie", "Sofie Leidinggevende", Some("vzw-leren"), None),
        ("p-lotte", "Lotte Leerling", Some("vzw-leren"), None),
        ("p-ann", "Ann Peeters", None, Some("85.07.30-033.28")),
        ("p-bart", "Bart Claes", None, Some("17073003384")),
        ("p-cas", "Cas Janssens", None, None),
        ("p-dina", "Dina Maes", None, Some("00012556777")),
        ("p-emre", "Emre Yilmaz", None, Some("98472899765")),
    ];
    for (id, name, org, insz) in people {
        let mut c =
            json!({"type": "register_person", "person": id, "name": name, "email": format!("{}@example.be", &id[2..])});
        if let Some(o) = org {
            c["organisation"] = json!(o);
        }
        if let Some(n) = insz {
            c["insz"] = json!(n);
        }
        d.ok("system", feed, c);
    }
    let grant = |id: &str, p: &str, role: &str, org: &str, branch: Option<&str>| {
        let mut c = json!({"type": "grant_role", "grant": id, "person": p, "role": role, "organisation": org, "valid_from": "2026-01-01", "valid_until": "2026-12-31"});
        if let Some(b) = branch {
            c["branch"] = json!(b);
        }
        c
    };
    for c in [
        grant("g1", "p-olivia", "OrganisationResponsible", "vzw-leren", None),
        grant("g2", "p-tom", "Trainer", "vzw-leren", None),
        grant("g3", "p-eva", "Trainer", "vzw-leren", None),
        grant("g4", "p-sam", "EsfSupport", "esf", None),
        grant("g5", "p-pia", "OrganisationResponsible", "partner-bv", None),
        grant("g6", "p-bob", "OrganisationResponsible", "vzw-leren", Some("brugge")),
        grant("g7", "p-sofie", "Supervisor", "vzw-leren", None),
        grant("g8", "p-lotte", "ProjectStaff", "vzw-leren", None),
    ] {
        d.ok("system", feed, c);
    }
    d.ok("system", feed, json!({"type": "add_work_relationship", "relationship": "w-eva", "person": "p-eva", "organisation": "extern-nv", "promoter": "vzw-leren", "kind": "External", "valid_from": "2026-01-01", "valid_until": "2026-06-30"}));
    d.ok("system", feed, json!({"type": "create_project", "project": "P-1", "number": "2026-472-001", "call": "call-472", "promoter": "vzw-leren", "branch": "gent", "partners": ["partner-bv"]}));
    d.ok("system", feed, json!({"type": "create_project", "project": "P-2", "number": "2026-472-002", "call": "call-472", "promoter": "vzw-leren", "branch": "brugge"}));
    for (t, p, code, name, kind) in [
        ("T-LAS", "P-1", "LAS-01", "Lassen basis", "Classroom"),
        ("T-VEIL", "P-1", "VEIL-01", "Veiligheid op de werkvloer", "Classroom"),
        ("T-XL", "P-1", "EXCEL-EL", "Excel online", "ELearning"),
        ("T-BRU", "P-2", "BRU-01", "Heftruck", "Classroom"),
    ] {
        d.ok(
            "system",
            feed,
            json!({"type": "add_training", "training": t, "project": p, "code": code, "name": name, "kind": kind}),
        );
    }
    println!("  4 organisations (2 branches), 1 call, 13 people, 8 grants, 2 projects, 4 trainings\n");

    println!("2. Planning (Olivia, promoter; Pia, partner; Bob, branch Brugge)");
    let class = ["p-ann", "p-bart", "p-cas", "p-dina"];
    for day in 2..=6u32 {
        d.ok("p-olivia", "2026-02-20T10:00:00+01:00", json!({"type": "plan_session", "session": format!("LAS-{day}"), "training": "T-LAS",
            "date": format!("2026-03-{day:02}"), "start": "09:00:00", "end": "12:00:00", "trainers": ["p-tom"], "participants": class,
            "location": "Gent, atelier 2", "breaks": [{"start": "10:30:00", "end": "10:45:00"}]}));
    }
    for day in [3u32, 5] {
        d.ok("p-pia", "2026-02-20T11:00:00+01:00", json!({"type": "plan_session", "session": format!("VEIL-{day}"), "training": "T-VEIL",
            "date": format!("2026-03-{day:02}"), "start": "13:00:00", "end": "16:00:00", "trainers": ["p-eva"], "participants": ["p-ann", "p-emre"]}));
    }
    d.refused("a second Safety session overlapping Tuesday's", "p-pia", "2026-02-20T11:05:00+01:00",
        json!({"type": "plan_session", "session": "VEIL-X", "training": "T-VEIL", "date": "2026-03-03", "start": "15:30:00", "end": "17:00:00", "trainers": [], "participants": []}));
    d.refused("Bob (branch Brugge) planning in the Gent project", "p-bob", "2026-02-20T11:05:00+01:00",
        json!({"type": "plan_session", "session": "LAS-X", "training": "T-LAS", "date": "2026-03-09", "start": "09:00:00", "end": "12:00:00", "trainers": [], "participants": []}));
    println!(
        "  7 sessions planned; {} QR codes mailed (one per participant, the first time only)\n",
        d.qr_mails
    );

    println!("3. The week, by QR scan (token = opaque person id + project, HMAC-SHA256; no national number)");
    let token = |p: &str| {
        keys.issue("2026-q1", &ProjectId::new("P-1"), &PersonId::new(p))
            .expect("token")
    };
    // (day, person, in, out) — None: not registered that day.
    let week: &[(u32, &str, &str, &str)] = &[
        (2, "p-ann", "08:52", "12:02"),
        (2, "p-bart", "09:14", "12:00"),
        (2, "p-cas", "08:58", "10:05"),
        (2, "p-dina", "08:55", "11:40"),
        (3, "p-ann", "08:50", "12:00"),
        (3, "p-bart", "08:57", "12:00"),
        (3, "p-cas", "09:25", "12:00"),
        (4, "p-ann", "08:55", "12:00"),
        (4, "p-cas", "08:59", "12:00"),
        (4, "p-dina", "08:50", "12:00"),
        (5, "p-ann", "08:55", "12:00"),
        (5, "p-bart", "08:55", "12:00"),
        (5, "p-cas", "08:55", "11:00"),
        (5, "p-dina", "08:55", "12:00"),
        (6, "p-ann", "08:55", "12:00"),
        (6, "p-bart", "08:55", "12:00"),
        (6, "p-dina", "09:40", "12:00"),
    ];
    for day in 2..=6u32 {
        let s = format!("LAS-{day}");
        d.ok(
            "p-tom",
            &at(day, "08:45"),
            json!({"type": "start_session", "session": s}),
        );
        for (_, p, i, _) in week.iter().filter(|w| w.0 == day) {
            d.ok(
                "p-tom",
                &at(day, i),
                json!({"type": "check_in", "session": s, "token": token(p)}),
            );
        }
        if day == 6 {
            let mut forged = token("p-cas").into_bytes();
            let i = forged.len() - 10;
            forged[i] = if forged[i] == b'A' { b'B' } else { b'A' };
            let forged = String::from_utf8(forged).expect("ascii");
            d.refused(
                "a scan of an altered token",
                "p-tom",
                &at(6, "09:41"),
                json!({"type": "check_in", "session": s, "token": forged}),
            );
            d.refused(
                "Ann scanned in twice",
                "p-tom",
                &at(6, "09:42"),
                json!({"type": "check_in", "session": s, "token": token("p-ann")}),
            );
        }
        for (_, p, _, o) in week.iter().filter(|w| w.0 == day) {
            d.ok(
                "p-tom",
                &at(day, o),
                json!({"type": "check_out", "session": s, "token": token(p)}),
            );
        }
        if day == 3 {
            d.ok(
                "p-tom",
                &at(3, "09:05"),
                json!({"type": "mark_absent", "session": s, "person": "p-dina"}),
            );
        }
        d.ok(
            "p-tom",
            &at(day, "12:05"),
            json!({"type": "close_session", "session": s}),
        );
    }
    for day in [3u32, 5] {
        let s = format!("VEIL-{day}");
        d.ok(
            "p-eva",
            &at(day, "12:50"),
            json!({"type": "start_session", "session": s}),
        );
        d.ok(
            "p-eva",
            &at(day, "12:55"),
            json!({"type": "check_in", "session": s, "token": token("p-ann")}),
        );
        if day == 3 {
            d.ok(
                "p-eva",
                &at(day, "13:05"),
                json!({"type": "check_in", "session": s, "token": token("p-emre")}),
            );
        }
        d.ok(
            "p-eva",
            &at(day, "16:10"),
            json!({"type": "close_session", "session": s}),
        );
    }
    println!();

    println!("4. Wednesday: Bart's attendance was not registered (network down)");
    d.refused(
        "registering Bart on Thursday 08:00 without a report",
        "p-tom",
        &at(5, "08:00"),
        json!({"type": "check_in", "session": "LAS-4", "person": "p-bart", "time": at(4, "09:00")}),
    );
    d.ok("p-olivia", &at(5, "09:30"), json!({"type": "report_problem", "session": "LAS-4", "description": "wifi down in atelier 2, Bart not scanned"}));
    d.ok(
        "p-sam",
        &at(5, "11:00"),
        json!({"type": "grant_correction_window", "session": "LAS-4", "from": at(5, "11:00"), "until": at(5, "17:00")}),
    );
    d.ok(
        "p-tom",
        &at(5, "14:00"),
        json!({"type": "check_in", "session": "LAS-4", "person": "p-bart", "time": at(4, "08:58")}),
    );
    d.ok(
        "p-tom",
        &at(5, "14:01"),
        json!({"type": "check_out", "session": "LAS-4", "person": "p-bart", "time": at(4, "12:00")}),
    );
    println!(
        "  reported Thursday 09:30 (before the 10:00 deadline); ESF support granted a window; registered late, marked late"
    );
    d.refused(
        "reporting Tuesday's problems on Friday",
        "p-olivia",
        &at(6, "09:00"),
        json!({"type": "report_problem", "session": "LAS-3", "description": "late"}),
    );
    println!();

    println!("5. Submission, reopening and correction of Monday");
    for day in 2..=6u32 {
        d.ok(
            "p-olivia",
            &at(6, "13:00"),
            json!({"type": "submit_session", "session": format!("LAS-{day}")}),
        );
    }
    d.refused(
        "the partner submitting its own session",
        "p-pia",
        &at(6, "13:05"),
        json!({"type": "submit_session", "session": "VEIL-3"}),
    );
    d.ok(
        "p-olivia",
        &at(6, "13:05"),
        json!({"type": "submit_session", "session": "VEIL-3"}),
    );
    d.ok(
        "p-sam",
        "2026-03-09T10:00:00+01:00",
        json!({"type": "reopen_session", "session": "LAS-2"}),
    );
    d.ok("p-olivia", "2026-03-09T10:30:00+01:00", json!({"type": "correct_attendance", "session": "LAS-2", "person": "p-cas",
        "intervals": [{"check_in": at(2, "08:58"), "check_out": at(2, "10:05")}, {"check_in": at(2, "10:45"), "check_out": at(2, "12:00")}]}));
    d.ok(
        "p-olivia",
        "2026-03-09T10:45:00+01:00",
        json!({"type": "submit_session", "session": "LAS-2"}),
    );
    println!("  LAS-2 reopened by ESF support, Cas's return after the break added, submitted again\n");

    println!("6. E-learning: Lotte enters her hours, Sofie approves (four eyes)");
    d.ok(
        "p-olivia",
        "2026-02-20T12:00:00+01:00",
        json!({"type": "create_elearning_participant", "project": "P-1", "person": "p-lotte", "supervisor": "p-sofie"}),
    );
    d.ok("p-lotte", &at(4, "18:00"), json!({"type": "enter_elearning_hours", "entry": "E-1", "training": "T-XL", "date": "2026-03-04", "minutes": 120, "start": "14:00:00", "end": "16:00:00"}));
    d.ok("p-lotte", &at(5, "18:00"), json!({"type": "enter_elearning_hours", "entry": "E-2", "training": "T-XL", "date": "2026-03-05", "minutes": 300}));
    d.refused(
        "Lotte approving her own hours",
        "p-lotte",
        &at(6, "09:00"),
        json!({"type": "approve_elearning_entry", "entry": "E-1"}),
    );
    d.ok(
        "p-sofie",
        &at(6, "09:00"),
        json!({"type": "approve_elearning_entry", "entry": "E-1"}),
    );
    d.ok(
        "p-sofie",
        &at(6, "09:01"),
        json!({"type": "reject_elearning_entry", "entry": "E-2", "reason": "5 hours in one evening?"}),
    );
    d.ok(
        "p-lotte",
        &at(6, "10:00"),
        json!({"type": "correct_elearning_entry", "entry": "E-2", "date": "2026-03-05", "minutes": 90}),
    );
    d.ok(
        "p-sofie",
        &at(6, "11:00"),
        json!({"type": "approve_elearning_entry", "entry": "E-2"}),
    );
    d.ok("p-lotte", &at(6, "18:00"), json!({"type": "enter_elearning_hours", "entry": "E-3", "training": "T-XL", "date": "2026-03-06", "minutes": 45}));
    println!();

    let reference = "2026-03-10T12:00:00+01:00".parse().expect("instant");
    let olivia = Actor::Person(PersonId::new("p-olivia"));
    // `--export-records PATH`: write the project's plain records (the export format that
    // back-office scripts read, docs/records.md) next to the report.
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--export-records") {
        let path = args.get(i + 1).expect("--export-records needs a path");
        let records = tijdreg::ledger::report::records(d.ledger.state(), &olivia, reference, &ProjectId::new("P-1"))
            .expect("records");
        std::fs::write(path, serde_json::to_string_pretty(&records).expect("json")).expect("write the export");
        println!("(records of P-1 written to {path})\n");
    }
    let r = report_from_state(d.ledger.state(), &olivia, reference, &ProjectId::new("P-1")).expect("report");
    println!("7. Subsidy report of project 2026-472-001, as Olivia sees it on 10 March 2026\n");
    print!("{}", r.explain());
    println!("\n  Per participant (realised):");
    for g in r.group_by(Grouping::Person) {
        let insz = d
            .ledger
            .state()
            .persons
            .get(&PersonId::new(g.key.clone()))
            .and_then(|p| p.insz.as_ref())
            .map(Insz::to_string);
        println!(
            "    {:<8} {:<16} {:>4} min  EUR {:>8}",
            g.key,
            insz.unwrap_or_else(|| "(no INSZ)".into()),
            g.counted_minutes,
            g.amount
        );
    }
    println!("  Per training (realised):");
    for g in r.group_by(Grouping::Training) {
        println!("    {:<8} {:>4} min  EUR {:>8}", g.key, g.counted_minutes, g.amount);
    }
    println!(
        "\n  Realised:    {} lines, {} min = {} participant hours",
        r.realised.lines,
        r.realised.counted_minutes,
        r.realised.counted_hours.round_dp(4)
    );
    println!(
        "  Provisional: {} lines, {} min (EUR {})",
        r.provisional.lines, r.provisional.counted_minutes, r.provisional_amount
    );
    let a = &r.amounts;
    println!(
        "  Amount:      EUR {} (exact {}, cap {}{})",
        a.total,
        a.uncapped.round_dp(6),
        a.cap.map_or("none".into(), |c| c.to_string()),
        if a.capped { ", applied" } else { "" }
    );
    println!(
        "  Shares:      ESF {} + Flemish {} + own {} = {}",
        a.esf,
        a.flemish,
        a.own,
        a.esf + a.flemish + a.own
    );
    let rc = &r.receipt;
    println!(
        "\n  Receipt: engine {} · parameters and calendar sha256 {}… · reference {} · {} events · {} records",
        rc.engine_version,
        &rc.parameters_hash[..16],
        rc.reference_instant.to_rfc3339(),
        rc.events,
        rc.records
    );
}
