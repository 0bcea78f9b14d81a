//! Call parameters with validity dates, rule ORG-3. A call holds, per parameter, the values
//! with the date from which each is in force; the value in force on a session's date applies.
//! Every number the design rules of the rulebook carry is here, with its default (docs/rules.md).

use crate::calendar::HolidayProfile;
use crate::error::Error;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Direction of rounding (SUB-2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingDirection {
    /// Towards zero (the default).
    #[default]
    Down,
    /// Away from zero.
    Up,
    /// To the nearest step, halves up.
    Nearest,
}

/// Rounding of counted time per line (SUB-2): a granularity in minutes and a direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rounding {
    /// Granularity in minutes (1..=1440).
    pub minutes: u32,
    /// Direction.
    pub direction: RoundingDirection,
}

impl Default for Rounding {
    fn default() -> Self {
        Rounding {
            minutes: 1,
            direction: RoundingDirection::Down,
        }
    }
}

impl Rounding {
    /// Rounds a number of seconds to whole steps; returns whole minutes.
    ///
    /// Saturates instead of overflowing; the limits (`docs/limits.md`) keep `seconds` far
    /// below that (at most a day of a session).
    pub fn apply(&self, seconds: i64) -> i64 {
        let minutes = i64::from(self.minutes.max(1));
        let step = minutes.saturating_mul(60);
        let steps = match self.direction {
            RoundingDirection::Down => seconds.div_euclid(step),
            RoundingDirection::Up => seconds.saturating_add(step.saturating_sub(1)).div_euclid(step),
            RoundingDirection::Nearest => seconds
                .saturating_mul(2)
                .saturating_add(step)
                .div_euclid(step.saturating_mul(2)),
        };
        steps.saturating_mul(minutes)
    }
}

/// Co-financing rates (SUB-8): ESF, Flemish and own; they add up to 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shares {
    /// ESF rate.
    pub esf: Decimal,
    /// Flemish co-financing rate.
    pub flemish: Decimal,
    /// Own contribution rate.
    pub own: Decimal,
}

impl Default for Shares {
    fn default() -> Self {
        Shares {
            esf: Decimal::new(40, 2),
            flemish: Decimal::new(30, 2),
            own: Decimal::new(30, 2),
        }
    }
}

/// One parameter with its value, as a call carries it (ORG-3).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "name", content = "value", rename_all = "snake_case")]
pub enum ParamValue {
    /// Euro per counted participant hour (SUB-8).
    UnitCostPerParticipantHour(Decimal),
    /// Rounding per line (SUB-2).
    Rounding(Rounding),
    /// Minutes before the planned start from which check-in is accepted (ATT-2).
    CheckInEarlyMinutes(u32),
    /// Minutes after the planned end until which check-out is accepted (ATT-2).
    CheckOutLateMinutes(u32),
    /// Late-arrival threshold recorded on the line.
    LateArrivalMinutes(u32),
    /// Early-departure threshold recorded on the line.
    EarlyDepartureMinutes(u32),
    /// Minimal presence ratio of a line's net duration (SUB-4), 0..=1.
    MinPresenceRatio(Decimal),
    /// Daily cap on a participant's counted hours (SUB-5, EL-3).
    MaxParticipantHoursPerDay(Option<Decimal>),
    /// Maximum number of trainings in a project.
    MaxTrainingsPerProject(Option<u32>),
    /// Cap on a project's total amount (SUB-8).
    ProjectSubsidyCap(Option<Decimal>),
    /// Co-financing rates (SUB-8).
    Shares(Shares),
    /// Whether MLP profiles are required (MLP-2).
    MlpRequired(bool),
    /// Whether e-learning trainings are allowed.
    ElearningAllowed(bool),
    /// Holiday profile of the working-day calendar (DL-3).
    HolidayProfile(HolidayProfile),
    /// Minutes an offline scan's device clock may differ from the reconstructed instant
    /// before the scan is marked `clock_suspect` (ATT-6).
    OfflineClockSkewMinutes(u32),
}

impl ParamValue {
    /// The parameter's name.
    pub fn name(&self) -> &'static str {
        match self {
            ParamValue::UnitCostPerParticipantHour(_) => "unit_cost_per_participant_hour",
            ParamValue::Rounding(_) => "rounding",
            ParamValue::CheckInEarlyMinutes(_) => "check_in_early_minutes",
            ParamValue::CheckOutLateMinutes(_) => "check_out_late_minutes",
            ParamValue::LateArrivalMinutes(_) => "late_arrival_minutes",
            ParamValue::EarlyDepartureMinutes(_) => "early_departure_minutes",
            ParamValue::MinPresenceRatio(_) => "min_presence_ratio",
            ParamValue::MaxParticipantHoursPerDay(_) => "max_participant_hours_per_day",
            ParamValue::MaxTrainingsPerProject(_) => "max_trainings_per_project",
            ParamValue::ProjectSubsidyCap(_) => "project_subsidy_cap",
            ParamValue::Shares(_) => "shares",
            ParamValue::MlpRequired(_) => "mlp_required",
            ParamValue::ElearningAllowed(_) => "elearning_allowed",
            ParamValue::HolidayProfile(_) => "holiday_profile",
            ParamValue::OfflineClockSkewMinutes(_) => "offline_clock_skew_minutes",
        }
    }

    /// Checks the value against its documented range (`docs/limits.md`): ranges are chosen so
    /// that no computation over them can overflow.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the parameter and the allowed range.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |allowed: &str, allowed_nl: &str| {
            Err(Error::InvalidParameter {
                name: self.name().to_owned(),
                allowed: allowed.to_owned(),
                allowed_nl: allowed_nl.to_owned(),
            })
        };
        let within = |v: &Decimal, max: i64, places: u32| {
            !v.is_sign_negative() && *v <= Decimal::from(max) && v.normalize().scale() <= places
        };
        let one = Decimal::ONE;
        match self {
            ParamValue::UnitCostPerParticipantHour(v) if !within(v, MAX_UNIT_COST, 6) => bad(
                "0..=100000 euro, at most 6 decimals",
                "0..=100000 euro, hoogstens 6 decimalen",
            ),
            ParamValue::Rounding(r) if r.minutes == 0 || r.minutes > 1440 => {
                bad("minutes 1..=1440", "minuten 1..=1440")
            }
            ParamValue::CheckInEarlyMinutes(m)
            | ParamValue::CheckOutLateMinutes(m)
            | ParamValue::LateArrivalMinutes(m)
            | ParamValue::EarlyDepartureMinutes(m)
            | ParamValue::OfflineClockSkewMinutes(m)
                if *m > 1440 =>
            {
                bad("0..=1440 minutes", "0..=1440 minuten")
            }
            ParamValue::MinPresenceRatio(r) if !within(r, 1, 10) => {
                bad("0..=1, at most 10 decimals", "0..=1, hoogstens 10 decimalen")
            }
            ParamValue::MaxParticipantHoursPerDay(Some(h)) if !within(h, 24, 6) || h.is_zero() => bad(
                "(0, 24] hours, at most 6 decimals",
                "(0, 24] uur, hoogstens 6 decimalen",
            ),
            ParamValue::MaxTrainingsPerProject(Some(n)) if *n == 0 || *n > 100_000 => bad("1..=100000", "1..=100000"),
            ParamValue::ProjectSubsidyCap(Some(c)) if !within(c, MAX_CAP, 6) => bad(
                "0..=1000000000000 euro, at most 6 decimals",
                "0..=1000000000000 euro, hoogstens 6 decimalen",
            ),
            ParamValue::Shares(s)
                if [s.esf, s.flemish, s.own].iter().any(|r| !within(r, 1, 10))
                    || s.esf.checked_add(s.flemish).and_then(|x| x.checked_add(s.own)) != Some(one) =>
            {
                bad(
                    "three rates in 0..=1 that add up to 1 (at most 10 decimals each)",
                    "drie percentages in 0..=1 die samen 1 zijn (elk hoogstens 10 decimalen)",
                )
            }
            _ => Ok(()),
        }
    }
}

/// The highest unit cost a call may set (euro per participant hour).
pub const MAX_UNIT_COST: i64 = 100_000;
/// The highest project subsidy cap (euro).
pub const MAX_CAP: i64 = 1_000_000_000_000;

/// The parameters in force on one date, resolved with the rulebook's defaults (ORG-3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Params {
    /// Euro per counted participant hour. Default 0 (a call sets it).
    pub unit_cost_per_participant_hour: Decimal,
    /// Default 1 minute, down.
    pub rounding: Rounding,
    /// Default 30.
    pub check_in_early_minutes: u32,
    /// Default 30.
    pub check_out_late_minutes: u32,
    /// Default 15.
    pub late_arrival_minutes: u32,
    /// Default 15.
    pub early_departure_minutes: u32,
    /// Default 0.
    pub min_presence_ratio: Decimal,
    /// Default none.
    pub max_participant_hours_per_day: Option<Decimal>,
    /// Default none.
    pub max_trainings_per_project: Option<u32>,
    /// Default none.
    pub project_subsidy_cap: Option<Decimal>,
    /// Default 40/30/30.
    pub shares: Shares,
    /// Default false.
    pub mlp_required: bool,
    /// Default true.
    pub elearning_allowed: bool,
    /// Default FlemishGovernment.
    pub holiday_profile: HolidayProfile,
    /// Default 5 (ATT-6).
    #[serde(default = "default_skew")]
    pub offline_clock_skew_minutes: u32,
}

fn default_skew() -> u32 {
    5
}

impl Default for Params {
    fn default() -> Self {
        Params {
            unit_cost_per_participant_hour: Decimal::ZERO,
            rounding: Rounding::default(),
            check_in_early_minutes: 30,
            check_out_late_minutes: 30,
            late_arrival_minutes: 15,
            early_departure_minutes: 15,
            min_presence_ratio: Decimal::ZERO,
            max_participant_hours_per_day: None,
            max_trainings_per_project: None,
            project_subsidy_cap: None,
            shares: Shares::default(),
            mlp_required: false,
            elearning_allowed: true,
            holiday_profile: HolidayProfile::default(),
            offline_clock_skew_minutes: default_skew(),
        }
    }
}

impl Params {
    /// ATT-2: the first instant a check-in is accepted for a session that starts at `start`.
    pub fn check_in_from(&self, start: DateTime<Utc>) -> DateTime<Utc> {
        start
            .checked_sub_signed(Duration::minutes(i64::from(self.check_in_early_minutes)))
            .unwrap_or(start)
    }

    /// ATT-2: the last instant a check-out is accepted for a session that ends at `end`.
    pub fn check_out_until(&self, end: DateTime<Utc>) -> DateTime<Utc> {
        end.checked_add_signed(Duration::minutes(i64::from(self.check_out_late_minutes)))
            .unwrap_or(end)
    }

    fn set(&mut self, v: &ParamValue) {
        match v.clone() {
            ParamValue::UnitCostPerParticipantHour(x) => self.unit_cost_per_participant_hour = x,
            ParamValue::Rounding(x) => self.rounding = x,
            ParamValue::CheckInEarlyMinutes(x) => self.check_in_early_minutes = x,
            ParamValue::CheckOutLateMinutes(x) => self.check_out_late_minutes = x,
            ParamValue::LateArrivalMinutes(x) => self.late_arrival_minutes = x,
            ParamValue::EarlyDepartureMinutes(x) => self.early_departure_minutes = x,
            ParamValue::MinPresenceRatio(x) => self.min_presence_ratio = x,
            ParamValue::MaxParticipantHoursPerDay(x) => self.max_participant_hours_per_day = x,
            ParamValue::MaxTrainingsPerProject(x) => self.max_trainings_per_project = x,
            ParamValue::ProjectSubsidyCap(x) => self.project_subsidy_cap = x,
            ParamValue::Shares(x) => self.shares = x,
            ParamValue::MlpRequired(x) => self.mlp_required = x,
            ParamValue::ElearningAllowed(x) => self.elearning_allowed = x,
            ParamValue::HolidayProfile(x) => self.holiday_profile = x,
            ParamValue::OfflineClockSkewMinutes(x) => self.offline_clock_skew_minutes = x,
        }
    }
}

/// A call's parameters over time (ORG-3): per parameter name, the values by the date from
/// which each is in force. A value is in force from its date until the next value's date.
///
/// # Example
/// ```
/// use chrono::{DateTime, Duration, NaiveDate, Utc};
/// use rust_decimal::Decimal;
/// use tijdreg::params::{DatedParams, ParamValue};
/// let mut p = DatedParams::default();
/// let jan = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
/// let jul = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
/// p.set(jan, ParamValue::UnitCostPerParticipantHour(Decimal::new(1250, 2)));
/// p.set(jul, ParamValue::UnitCostPerParticipantHour(Decimal::new(1400, 2)));
/// assert_eq!(p.on(NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()).unit_cost_per_participant_hour, Decimal::new(1250, 2));
/// assert_eq!(p.on(jul).unit_cost_per_participant_hour, Decimal::new(1400, 2));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DatedParams {
    values: BTreeMap<String, BTreeMap<NaiveDate, ParamValue>>,
}

impl DatedParams {
    /// Puts `value` in force from `valid_from` (replacing a value set for that same date).
    pub fn set(&mut self, valid_from: NaiveDate, value: ParamValue) {
        self.values
            .entry(value.name().to_owned())
            .or_default()
            .insert(valid_from, value);
    }

    /// The parameters in force on `date`, the defaults where nothing is set.
    pub fn on(&self, date: NaiveDate) -> Params {
        let mut p = Params::default();
        for by_date in self.values.values() {
            if let Some((_, v)) = by_date.range(..=date).next_back() {
                p.set(v);
            }
        }
        p
    }

    /// Checks every value's range, and that each is filed under its own name (a value under
    /// another name would silently be ignored).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for the first value out of range or under another name.
    pub fn validate(&self) -> Result<(), Error> {
        for (name, by_date) in &self.values {
            for v in by_date.values() {
                if v.name() != name {
                    return Err(Error::InvalidParameter {
                        name: v.name().to_owned(),
                        allowed: "to be filed under its own name".into(),
                        allowed_nl: "onder zijn eigen naam opgeslagen te worden".into(),
                    });
                }
                v.validate()?;
            }
        }
        Ok(())
    }

    /// The dates on which some value comes into force, in order.
    pub fn change_dates(&self) -> std::collections::BTreeSet<NaiveDate> {
        self.values.values().flat_map(|m| m.keys().copied()).collect()
    }

    /// Whether nothing was set.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}
