//! # tijdreg
//!
//! The rules of ESF Vlaanderen (Europa WSE) training attendance — *tijdsregistratie* — as a
//! pure library: who may do what and when, what follows from it, what it is worth and why,
//! each answer citing a rule ID of the rulebook (`SPEC.md`).
//!
//! The engine has no I/O, no clock and no randomness: every instant is an argument, every
//! change is a checked command that yields events or a typed [`Error`] that changed nothing.
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
//! The modules follow the rulebook's sections: [`identity`] (ID), [`calendar`] (DL),
//! [`params`] and [`org`] (ORG), [`access`] (ACC), [`session`] (SES, ATT), [`qr`] (QR),
//! [`elearning`] (EL), [`mlp`] (MLP), [`subsidy`] (SUB) and [`ledger`] (AUD, and the checks
//! of every command).

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
