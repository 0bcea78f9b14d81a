//! # tijdreg
//!
//! The rules of ESF Vlaanderen (Europa WSE) training attendance — *tijdsregistratie* — as a
//! pure library: who may do what and when, what follows from it, what it is worth and why,
//! each answer citing a rule ID of the rulebook (`docs/rules.md` in the repository).
//!
//! The engine has no I/O, no clock and no randomness: every instant is an argument, every
//! change is a checked [`ledger::Command`] that yields [`ledger::Event`]s or a typed [`Error`]
//! that changed nothing.
//!
//! ## The ledger: a command in, events or a refusal out
//!
//! ```
//! use tijdreg::ledger::{Actor, Command, Envelope, Ledger};
//!
//! let mut ledger = Ledger::new();
//! let at = "2026-01-05T08:00:00+01:00".parse().unwrap();
//! let send = |ledger: &mut Ledger, id: &str, actor: Actor, command: Command| {
//!     ledger.apply(&Envelope { command_id: id.into(), actor, at, command })
//! };
//! send(&mut ledger, "c1", Actor::System, Command::CreateOrganisation { organisation: "vzw".into(), name: "vzw Leren".into() })?;
//! let out = send(&mut ledger, "c2", Actor::System, Command::CreateCall { call: "c-472".into(), name: "Oproep 472".into() })?;
//! assert_eq!(out.events[0].event.kind(), "call_created");
//! assert_eq!(out.events[0].seq, 2); // AUD-1: numbered, with who, when and which command
//!
//! // A person may not create calls (ACC-1): refused, and the ledger did not change.
//! let e = send(&mut ledger, "c3", Actor::Person("p-ann".into()), Command::CreateCall { call: "x".into(), name: "X".into() })
//!     .unwrap_err();
//! assert_eq!((e.code(), e.rule()), ("access_denied", "ACC-1"));
//! assert_eq!(ledger.state().event_count, 2);
//! # Ok::<(), tijdreg::Error>(())
//! ```
//!
//! Hosts that receive JSON use [`ledger::Envelope::from_json`]; queries (the archive,
//! warnings, a session, a report, what-if) go through [`ledger::query::run_on_ledger`]; the
//! log is written with [`ledger::Ledger::write_events`] and read back, checked, with
//! [`ledger::Ledger::replay_jsonl`] or a snapshot.
//!
//! ## The report: hours and euros, and why
//!
//! The same counting runs on a ledger's project ([`ledger::report::report`], cut to what the
//! asker may see) and on plain records a back office exported ([`subsidy::report_json`]):
//!
//! ```
//! let records = r#"{"project": "P-1",
//!   "params": {"unit_cost_per_participant_hour": {"2026-01-01": {"name": "unit_cost_per_participant_hour", "value": "12.00"}}},
//!   "sessions": [{"id": "S-1", "training": "T-1", "date": "2026-03-02", "start": "09:00", "end": "12:00",
//!     "status": "Executed", "breaks": [{"start": "10:30", "end": "10:45"}],
//!     "participants": [{"person": "p-ann", "intervals": [
//!       {"check_in": "2026-03-02T08:55:00+01:00", "check_out": "2026-03-02T11:30:00+01:00"}]}]}]}"#;
//! let report = tijdreg::subsidy::report_json(records, "2026-03-10T12:00:00Z".parse().unwrap())?;
//! assert_eq!(report.amounts.total.to_string(), "27.00"); // 135 minutes at 12.00 an hour (SUB-8)
//! let line = report.lines().get(0).unwrap();
//! assert_eq!(line.counted_minutes(), 135);
//! assert!(report.explain().contains("11:30–12:00 after check-out (SUB-1)"));
//! # Ok::<(), tijdreg::Error>(())
//! ```
//!
//! ## Identity and the calendar
//!
//! ```
//! use tijdreg::calendar::{Calendar, HolidayProfile};
//! use tijdreg::identity::Insz;
//! use chrono::NaiveDate;
//!
//! // ID-1: parse a national number; it prints masked (ID-3).
//! let insz: Insz = "85.07.30-033.28".parse()?;
//! assert_eq!(format!("{insz}"), "85.07.30-xxx.xx");
//!
//! // DL-2, DL-3: a Thursday session before the Flemish holiday of 11 July is registered,
//! // at the latest, on Monday 14 July 2025 at 10:00 Brussels time (08:00 UTC).
//! let cal = Calendar::new(HolidayProfile::FlemishGovernment);
//! let deadline = cal.registration_deadline(NaiveDate::from_ymd_opt(2025, 7, 10).unwrap()).unwrap();
//! assert_eq!(deadline.to_rfc3339(), "2025-07-14T08:00:00+00:00");
//! # Ok::<(), tijdreg::Error>(())
//! ```
//!
//! The modules follow the rulebook's families: [`identity`] (ID), [`calendar`] (DL),
//! [`params`] and [`org`] (ORG), [`access`] (ACC), [`session`] (SES, ATT), [`offline`]
//! (ATT-6), [`qr`] (QR), [`elearning`] (EL), [`mlp`] (MLP), [`subsidy`] (SUB) and [`ledger`]
//! (AUD, and the checks of every command); [`limits`] holds every input limit.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented
)]
#![deny(clippy::arithmetic_side_effects)]

pub mod access;
pub mod calendar;
pub mod decode;
pub mod elearning;
pub mod error;
pub mod identity;
pub mod ids;
pub mod ledger;
pub mod limits;
pub mod mlp;
pub mod offline;
pub mod org;
pub mod params;
pub mod qr;
pub mod session;
pub mod subsidy;
mod tagged;

pub use error::{Error, ErrorInfo, ErrorKind};

/// The engine version, carried in snapshots and report receipts (AUD-4).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The README's Rust examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
