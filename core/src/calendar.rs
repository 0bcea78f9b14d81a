//! Working days, holidays, Brussels time and registration deadlines. Rules DL-1 (the
//! training day is the Europe/Brussels date), DL-2 (the deadline: 10:00 of the next working
//! day), DL-3 (holiday profiles, Gregorian Easter, host closure dates) and DL-4 (instants are
//! judged in Europe/Brussels local time across daylight-saving changes).

// Date arithmetic on the years 1996..=2100 (`YEARS` of docs/limits.md with a margin): day
// numbers, offsets of at most two hours, Easter's Gauss formula on four-digit years.
#![allow(clippy::arithmetic_side_effects)]

use crate::error::Error;
use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Timelike, Utc,
    Weekday,
};
use chrono_tz::Europe::Brussels;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Gregorian Easter Sunday (anonymous Gregorian computus), DL-3.
///
/// # Example
/// ```
/// use chrono::NaiveDate;
/// assert_eq!(tijdreg::calendar::easter(2026), NaiveDate::from_ymd_opt(2026, 4, 5));
/// ```
pub fn easter(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
}

/// Which public holidays close the working week (DL-3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HolidayProfile {
    /// The ten Belgian legal holidays.
    BelgianLegal,
    /// The legal holidays plus 11 Jul, 2 Nov, 15 Nov and 26 Dec (the default).
    #[default]
    FlemishGovernment,
}

impl HolidayProfile {
    /// Whether `date` is a holiday of this profile.
    pub fn is_holiday(self, date: NaiveDate) -> bool {
        let (m, d) = (date.month(), date.day());
        let fixed_legal = matches!(
            (m, d),
            (1, 1) | (5, 1) | (7, 21) | (8, 15) | (11, 1) | (11, 11) | (12, 25)
        );
        let fixed_flemish = matches!((m, d), (7, 11) | (11, 2) | (11, 15) | (12, 26));
        if fixed_legal || (self == HolidayProfile::FlemishGovernment && fixed_flemish) {
            return true;
        }
        match easter(date.year()) {
            Some(e) => {
                let off = (date - e).num_days();
                matches!(off, 1 | 39 | 50)
            }
            None => false,
        }
    }

    /// The holidays of a year, in order, with their names.
    pub fn holidays(self, year: i32) -> Vec<(NaiveDate, &'static str)> {
        let mut v = Vec::new();
        let ymd = |m, d| NaiveDate::from_ymd_opt(year, m, d);
        let mut push = |d: Option<NaiveDate>, n| {
            if let Some(d) = d {
                v.push((d, n));
            }
        };
        push(ymd(1, 1), "Nieuwjaar");
        if let Some(e) = easter(year) {
            push(Some(e + Duration::days(1)), "Paasmaandag");
            push(Some(e + Duration::days(39)), "O.L.H. Hemelvaart");
            push(Some(e + Duration::days(50)), "Pinkstermaandag");
        }
        push(ymd(5, 1), "Dag van de Arbeid");
        push(ymd(7, 21), "Nationale feestdag");
        push(ymd(8, 15), "O.L.V. Hemelvaart");
        push(ymd(11, 1), "Allerheiligen");
        push(ymd(11, 11), "Wapenstilstand");
        push(ymd(12, 25), "Kerstmis");
        if self == HolidayProfile::FlemishGovernment {
            push(ymd(7, 11), "Feest van de Vlaamse Gemeenschap");
            push(ymd(11, 2), "Allerzielen");
            push(ymd(11, 15), "Koningsdag");
            push(ymd(12, 26), "Tweede kerstdag");
        }
        v.sort();
        v
    }
}

impl std::str::FromStr for HolidayProfile {
    type Err = Error;

    /// `BelgianLegal` or `FlemishGovernment`.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "BelgianLegal" => Ok(HolidayProfile::BelgianLegal),
            "FlemishGovernment" => Ok(HolidayProfile::FlemishGovernment),
            _ => Err(Error::invalid(
                "holiday profile: use BelgianLegal or FlemishGovernment",
                "feestdagprofiel: gebruik BelgianLegal of FlemishGovernment",
            )),
        }
    }
}

/// Parses an RFC 3339 instant (with `Z` or an offset) into UTC (DL-4).
///
/// # Errors
/// [`Error::InvalidInput`] saying what form is expected (never echoing the text).
pub fn parse_instant(s: &str) -> Result<DateTime<Utc>, Error> {
    // The common forms by hand (a subset of what chrono accepts, read the same), the rest by chrono.
    if let Some((secs, nanos)) = fast_rfc3339(s)
        && let Some(t) = DateTime::from_timestamp(secs, nanos)
    {
        return Ok(t);
    }
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            Error::invalid(
                "an instant must be RFC 3339 with an offset, such as 2026-03-02T09:00:00+01:00",
                "een tijdstip moet RFC 3339 met een tijdsverschil zijn, zoals 2026-03-02T09:00:00+01:00",
            )
        })
}

/// Seconds since the epoch and nanoseconds of the common RFC 3339 forms
/// (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`), parsed by hand; `None` for anything else
/// (which then goes through chrono).
pub(crate) fn fast_rfc3339(s: &str) -> Option<(i64, u32)> {
    fn digits(b: &[u8]) -> Option<i64> {
        let mut v = 0i64;
        for &c in b {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(c - b'0');
        }
        Some(v)
    }
    let b = s.as_bytes();
    if b.len() < 20
        || b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !matches!(b.get(10), Some(b'T' | b't' | b' '))
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    let (y, mo, d) = (digits(b.get(0..4)?)?, digits(b.get(5..7)?)?, digits(b.get(8..10)?)?);
    let (h, mi, se) = (
        digits(b.get(11..13)?)?,
        digits(b.get(14..16)?)?,
        digits(b.get(17..19)?)?,
    );
    let mut i = 19;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let from = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let frac = b.get(from..i)?;
        if frac.is_empty() || frac.len() > 9 {
            return None;
        }
        nanos = u32::try_from(digits(frac)? * 10i64.pow(9 - frac.len() as u32)).ok()?;
    }
    let offset = match b.get(i..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let v = digits(&[*h1, *h2])? * 3600 + digits(&[*m1, *m2])? * 60;
            if *sign == b'+' { v } else { -v }
        }
        _ => return None,
    };
    if !(1..=12).contains(&mo) || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = match mo {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=month_days).contains(&d) {
        return None;
    }
    Some((
        days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset,
        nanos,
    ))
}

/// Serde for instants read and written in bulk (event logs, commands): the common RFC 3339
/// forms parsed by hand, anything else as chrono reads it; written exactly as chrono writes
/// them (`2026-03-02T08:00:00Z`, a fraction only when there is one), whole seconds without
/// chrono's formatting machinery.
pub mod instant_serde {
    use chrono::{DateTime, Datelike, Timelike, Utc};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::fmt;

    /// An instant in whole seconds of a four-digit year, as chrono's RFC 3339 text.
    struct Whole([u8; 20]);

    impl Whole {
        fn of(t: &DateTime<Utc>) -> Option<Whole> {
            let n = t.naive_utc();
            let y = u32::try_from(n.year()).ok().filter(|y| *y <= 9999)?;
            if n.nanosecond() != 0 {
                return None;
            }
            let d = |v: u32| b'0' + (v % 10) as u8;
            let (mo, da, h, mi, se) = (n.month(), n.day(), n.hour(), n.minute(), n.second());
            Some(Whole([
                d(y / 1000),
                d(y / 100),
                d(y / 10),
                d(y),
                b'-',
                d(mo / 10),
                d(mo),
                b'-',
                d(da / 10),
                d(da),
                b'T',
                d(h / 10),
                d(h),
                b':',
                d(mi / 10),
                d(mi),
                b':',
                d(se / 10),
                d(se),
                b'Z',
            ]))
        }
    }

    /// The text [`serialize`] writes for an instant in whole seconds of a four-digit year
    /// (chrono's RFC 3339, `2026-03-02T08:00:00Z`); `None` for any other instant.
    pub(crate) fn whole_text(t: &DateTime<Utc>) -> Option<[u8; 20]> {
        Whole::of(t).map(|w| w.0)
    }

    impl fmt::Display for Whole {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(std::str::from_utf8(&self.0).map_err(|_| fmt::Error)?)
        }
    }

    /// Serialises an instant: the same text (and the same serializer call, `collect_str`) as
    /// chrono's own `Serialize`, so fingerprints and hashes do not change.
    ///
    /// # Errors
    /// The serializer's.
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        match Whole::of(t) {
            Some(w) => s.collect_str(&w),
            None => t.serialize(s),
        }
    }

    /// An instant that serialises through [`serialize`].
    pub(crate) struct Fast<'a>(pub &'a DateTime<Utc>);

    impl Serialize for Fast<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            serialize(self.0, s)
        }
    }

    /// The instant an RFC 3339 text names, as decoding reads it.
    pub(crate) fn parse(s: &str) -> Option<DateTime<Utc>> {
        if let Some((secs, nanos)) = super::fast_rfc3339(s)
            && let Some(t) = DateTime::from_timestamp(secs, nanos)
        {
            return Some(t);
        }
        s.parse::<DateTime<Utc>>().ok()
    }

    fn from_text<E: serde::de::Error>(s: &str) -> Result<DateTime<Utc>, E> {
        parse(s).ok_or_else(|| {
            E::invalid_value(
                serde::de::Unexpected::Str(""),
                &"an RFC 3339 formatted date and time string",
            )
        })
    }

    /// Deserialises an instant.
    ///
    /// # Errors
    /// Text that is not an instant.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let crate::decode::Text(s) = crate::decode::Text::deserialize(d)?;
        from_text(&s)
    }

    /// Optional instants.
    pub mod option {
        use super::*;

        /// Serialises an optional instant as [`super::serialize`] does.
        ///
        /// # Errors
        /// The serializer's.
        pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_some(&Fast(t)),
                None => s.serialize_none(),
            }
        }

        /// Deserialises an optional instant.
        ///
        /// # Errors
        /// Text that is not an instant.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
            let s = Option::<crate::decode::Text<'de>>::deserialize(d)?;
            s.map(|crate::decode::Text(s)| from_text(&s)).transpose()
        }
    }
}

/// A working-day calendar: a holiday profile plus closure dates the host adds (DL-3).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    /// The holiday profile.
    pub profile: HolidayProfile,
    /// Extra closure dates.
    #[serde(default)]
    pub closures: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// A calendar of a profile without closure dates.
    pub fn new(profile: HolidayProfile) -> Calendar {
        Calendar {
            profile,
            closures: BTreeSet::new(),
        }
    }

    /// Monday to Friday, not a holiday of the profile, not a closure date (DL-3).
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
            && !self.profile.is_holiday(date)
            && !self.closures.contains(&date)
    }

    /// The first working day strictly after `date`. `None` only past chrono's last date.
    pub fn next_working_day(&self, date: NaiveDate) -> Option<NaiveDate> {
        let mut d = date.succ_opt()?;
        // A year holds at most 15 holidays plus weekends, but host closures are unbounded;
        // the loop ends at chrono's range end at worst.
        while !self.is_working_day(d) {
            d = d.succ_opt()?;
        }
        Some(d)
    }

    /// The registration deadline of a training day (DL-2): 10:00 Europe/Brussels on the next
    /// working day.
    ///
    /// # Example
    /// ```
    /// use chrono::NaiveDate;
    /// use tijdreg::calendar::{Calendar, HolidayProfile};
    /// let thu = NaiveDate::from_ymd_opt(2025, 7, 10).unwrap();
    /// let flemish = Calendar::new(HolidayProfile::FlemishGovernment);
    /// assert_eq!(flemish.registration_deadline(thu).unwrap().to_rfc3339(), "2025-07-14T08:00:00+00:00");
    /// ```
    pub fn registration_deadline(&self, session_date: NaiveDate) -> Option<DateTime<Utc>> {
        let next = self.next_working_day(session_date)?;
        brussels_instant(next, NaiveTime::from_hms_opt(10, 0, 0)?).ok()
    }
}

/// The Europe/Brussels wall-clock time of an instant (DL-4).
pub fn local(at: DateTime<Utc>) -> NaiveDateTime {
    at.with_timezone(&Brussels).naive_local()
}

/// The Europe/Brussels calendar date of an instant (DL-1).
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    local_date_unix(at.timestamp()).unwrap_or_else(|| local(at).date())
}

/// The instant of a Brussels wall-clock time (DL-4). A time that occurs twice (the autumn
/// change) is taken at its first occurrence.
///
/// # Errors
/// [`Error::NonexistentLocalTime`] for a time skipped by the spring change (02:00–03:00).
pub fn brussels_instant(date: NaiveDate, time: NaiveTime) -> Result<DateTime<Utc>, Error> {
    let unix = brussels_unix(date, time)?;
    Utc.timestamp_opt(unix, 0)
        .single()
        .ok_or(Error::NonexistentLocalTime { date, time })
}

/// [`brussels_instant`] through the tz database (outside the years the arithmetic covers).
fn brussels_instant_tz(date: NaiveDate, time: NaiveTime) -> Result<DateTime<Utc>, Error> {
    match Brussels.from_local_datetime(&date.and_time(time)) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, _) => Ok(a.with_timezone(&Utc)),
        LocalResult::None => Err(Error::NonexistentLocalTime { date, time }),
    }
}

/// Formats an instant as Brussels `HH:MM` (for messages).
pub fn hm(at: DateTime<Utc>) -> String {
    hm_unix(at.timestamp())
}

/// Formats an instant as Brussels `YYYY-MM-DD HH:MM:SS` (for messages).
pub fn local_text(at: DateTime<Utc>) -> String {
    local(at).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
const fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian year of a day count since 1970-01-01 (inverse of the above).
#[cfg(test)]
const fn year_of_days(z: i64) -> i64 {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let y = yoe + era * 400;
    if mp >= 10 { y + 1 } else { y }
}

/// The instant (seconds since the epoch) of the last Sunday of `month` at 01:00 UTC.
const fn last_sunday_0100_utc(year: i64, month: i64) -> i64 {
    let last = days_from_civil(year, month, 31);
    // 1970-01-01 was a Thursday: (days + 4) mod 7 is 0 on Sundays.
    let back = (last + 4).rem_euclid(7);
    (last - back) * 86_400 + 3_600
}

/// Years in which Brussels follows the EU rule (summer time from the last Sunday of March to
/// the last Sunday of October, 01:00 UTC both); outside them the tz database is asked.
const FAST_YEARS: std::ops::RangeInclusive<i64> = 1996..=2099;

/// How many years [`FAST_YEARS`] holds.
const FAST_COUNT: usize = 104;
const _: () = assert!(FAST_COUNT as i64 == *FAST_YEARS.end() - *FAST_YEARS.start() + 1);

/// The clock changes of [`FAST_YEARS`] in order: per year the spring and the autumn one.
#[allow(clippy::indexing_slicing)] // evaluated at compile time
const CHANGES: [i64; 2 * FAST_COUNT] = {
    let mut t = [0i64; 2 * FAST_COUNT];
    let mut i = 0;
    while i < FAST_COUNT {
        let year = *FAST_YEARS.start() + i as i64;
        t[2 * i] = last_sunday_0100_utc(year, 3);
        t[2 * i + 1] = last_sunday_0100_utc(year, 10);
        i += 1;
    }
    t
};

/// The instants [`FAST_YEARS`] covers: from its first new year to the one after it, UTC.
const FAST_INSTANTS: std::ops::Range<i64> =
    days_from_civil(*FAST_YEARS.start(), 1, 1) * 86_400..days_from_civil(*FAST_YEARS.end() + 1, 1, 1) * 86_400;

/// Seconds east of UTC in Brussels at an instant (DL-4): 3600 in winter, 7200 in summer.
/// For 1996–2099 a lookup of the year's two clock changes, computed once at compile time
/// (checked hour by hour against the tz database in the tests); the tz database otherwise.
pub fn brussels_offset(unix: i64) -> i32 {
    if FAST_INSTANTS.contains(&unix) {
        // The year, from the mean Gregorian year: off by at most a day or two around a new
        // year, where either year's changes (in March and October) say winter alike.
        let year = ((unix - FAST_INSTANTS.start) / 31_556_952) as usize;
        let year = year.min(FAST_COUNT - 1);
        match (CHANGES.get(2 * year), CHANGES.get(2 * year + 1)) {
            (Some(&spring), Some(&autumn)) if spring <= unix && unix < autumn => 7_200,
            _ => 3_600,
        }
    } else {
        Utc.timestamp_opt(unix, 0)
            .single()
            .map_or(3_600, |t| t.with_timezone(&Brussels).offset().fix().local_minus_utc())
    }
}

/// The instant (seconds since the epoch) of a Brussels wall-clock time given as a date and
/// seconds after midnight (DL-4), like [`brussels_instant`] but without a tz-database lookup:
/// the counting kernel converts every session with it. A time that occurs twice is taken at
/// its first occurrence.
///
/// # Errors
/// [`Error::NonexistentLocalTime`] for a time skipped by the spring change.
pub fn brussels_unix(date: NaiveDate, time: NaiveTime) -> Result<i64, Error> {
    // A day without a clock change (all but two a year): an addition.
    if let Some(day) = brussels_day(date) {
        return Ok(on_day(day, time));
    }
    // Days since 1970-01-01 from chrono's own day count (no month and day to take apart;
    // `dl_4_day_counts_and_years_agree_with_chrono` holds the two counts equal).
    let local = (i64::from(date.num_days_from_ce()) - 719_163) * 86_400 + i64::from(time.num_seconds_from_midnight());
    let year = i64::from(date.year());
    if !FAST_YEARS.contains(&year) {
        return brussels_instant_tz(date, time).map(|t| t.timestamp());
    }
    // Summer (UTC+2) first: in the autumn overlap it is the earlier instant.
    let summer = local - 7_200;
    if brussels_offset(summer) == 7_200 {
        return Ok(summer);
    }
    let winter = local - 3_600;
    if brussels_offset(winter) == 3_600 {
        return Ok(winter);
    }
    Err(Error::NonexistentLocalTime { date, time })
}

/// A Brussels day whose clock does not change (DL-4): its local midnight counted as if it were
/// UTC (seconds since the epoch) and its offset, so that every wall-clock time `t` of the day is
/// the instant `local + t − offset` — none skipped, none repeated. `None` on the two days a year
/// the clock changes and outside 1996–2099, where [`brussels_unix`] answers time by time.
/// Readers of many times of one day (a session and its breaks) ask once.
///
/// ```
/// use chrono::{NaiveDate, NaiveTime};
/// use tijdreg::calendar::{brussels_day, brussels_unix};
/// let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
/// let (local, offset) = brussels_day(day).unwrap();
/// let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
/// assert_eq!(local + 9 * 3_600 - offset, brussels_unix(day, nine).unwrap());
/// // The spring change: 02:00–03:00 does not exist that night.
/// assert_eq!(brussels_day(NaiveDate::from_ymd_opt(2026, 3, 29).unwrap()), None);
/// ```
pub fn brussels_day(date: NaiveDate) -> Option<(i64, i64)> {
    let year = i64::from(date.year());
    if !FAST_YEARS.contains(&year) {
        return None;
    }
    let day = i64::from(date.num_days_from_ce()) - 719_163;
    // The year's two changes, at 01:00 UTC of their days: summer time between those days,
    // winter time before and after; the change days themselves have two offsets.
    let k = usize::try_from(year - *FAST_YEARS.start()).ok()?;
    let spring = CHANGES.get(2 * k)?.div_euclid(86_400);
    let autumn = CHANGES.get(2 * k + 1)?.div_euclid(86_400);
    let offset = if day == spring || day == autumn {
        return None;
    } else if spring < day && day < autumn {
        7_200
    } else {
        3_600
    };
    Some((day * 86_400, offset))
}

/// The instant of wall-clock `time` on a day [`brussels_day`] gave (`local + time − offset`).
#[inline]
pub fn on_day((local, offset): (i64, i64), time: NaiveTime) -> i64 {
    local + i64::from(time.num_seconds_from_midnight()) - offset
}

/// The Brussels wall-clock `HH:MM` of an instant given in seconds since the epoch, without a
/// tz-database lookup in 1996–2099 (used when explanations are rendered).
pub fn hm_unix(unix: i64) -> String {
    let mut out = String::with_capacity(5);
    push_hm_unix(&mut out, unix);
    out
}

/// [`hm_unix`] written at the end of `out` (for writers of many texts: no allocation).
pub fn push_hm_unix(out: &mut String, unix: i64) {
    let local = unix.saturating_add(i64::from(brussels_offset(unix)));
    let secs = local.rem_euclid(86_400);
    // Two digits of a number below 100.
    let two = |out: &mut String, n: i64| {
        for d in [n / 10, n % 10] {
            out.push(char::from(b'0'.saturating_add(u8::try_from(d).unwrap_or(0))));
        }
    };
    two(out, secs / 3_600);
    out.push(':');
    two(out, secs % 3_600 / 60);
}

/// The Brussels calendar date of an instant given in seconds since the epoch (DL-1).
pub fn local_date_unix(unix: i64) -> Option<NaiveDate> {
    let local = unix + i64::from(brussels_offset(unix));
    let days = i32::try_from(local.div_euclid(86_400)).ok()?;
    NaiveDate::from_num_days_from_ce_opt(days.checked_add(719_163)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dl_3_easter_by_the_gregorian_computus() {
        assert_eq!(easter(2026), Some(d(2026, 4, 5)));
        assert_eq!(easter(2024), Some(d(2024, 3, 31)));
        assert_eq!(easter(2025), Some(d(2025, 4, 20)));
        assert_eq!(easter(2019), Some(d(2019, 4, 21)));
        assert_eq!(easter(2038), Some(d(2038, 4, 25)), "latest possible");
        // The two years of the century where the computus's correction term m is 1.
        assert_eq!(easter(2049), Some(d(2049, 4, 18)));
        assert_eq!(easter(2076), Some(d(2076, 4, 19)));
        assert_eq!(easter(2285), Some(d(2285, 3, 22)), "earliest possible");
    }

    #[test]
    fn dl_3_holiday_profiles() {
        let legal = HolidayProfile::BelgianLegal;
        let flemish = HolidayProfile::FlemishGovernment;
        assert_eq!(legal.holidays(2026).len(), 10);
        assert_eq!(flemish.holidays(2026).len(), 14);
        assert!(legal.is_holiday(d(2026, 4, 6)), "Easter Monday");
        assert!(legal.is_holiday(d(2026, 5, 14)), "Ascension = Easter + 39");
        assert!(legal.is_holiday(d(2026, 5, 25)), "Whit Monday = Easter + 50");
        assert!(!legal.is_holiday(d(2026, 7, 11)) && flemish.is_holiday(d(2026, 7, 11)));
        assert!(!legal.is_holiday(d(2026, 11, 2)) && flemish.is_holiday(d(2026, 11, 2)));
        let mut cal = Calendar::new(legal);
        assert!(cal.is_working_day(d(2026, 3, 3)));
        cal.closures.insert(d(2026, 3, 3));
        assert!(!cal.is_working_day(d(2026, 3, 3)), "host closure date");
    }

    #[test]
    fn dl_3_spec_deadline_check_and_dl_2_deadline() {
        let thu = d(2025, 7, 10);
        let legal = Calendar::new(HolidayProfile::BelgianLegal)
            .registration_deadline(thu)
            .unwrap();
        let flemish = Calendar::new(HolidayProfile::FlemishGovernment)
            .registration_deadline(thu)
            .unwrap();
        assert_eq!(local(legal), d(2025, 7, 11).and_hms_opt(10, 0, 0).unwrap());
        assert_eq!(local(flemish), d(2025, 7, 14).and_hms_opt(10, 0, 0).unwrap());
        // A Saturday session: the next working day is Monday.
        let sat = Calendar::default().registration_deadline(d(2026, 3, 7)).unwrap();
        assert_eq!(local(sat), d(2026, 3, 9).and_hms_opt(10, 0, 0).unwrap());
    }

    #[test]
    fn dl_3_next_working_day_2000_to_2100_is_a_weekday_no_holiday_none_skipped() {
        for profile in [HolidayProfile::BelgianLegal, HolidayProfile::FlemishGovernment] {
            let cal = Calendar::new(profile);
            let mut date = d(2000, 1, 1);
            while date <= d(2100, 12, 31) {
                let next = cal.next_working_day(date).unwrap();
                assert!(
                    !matches!(next.weekday(), Weekday::Sat | Weekday::Sun),
                    "{date} -> {next}"
                );
                assert!(!profile.is_holiday(next));
                let mut between = date.succ_opt().unwrap();
                while between < next {
                    assert!(!cal.is_working_day(between), "{between} skipped");
                    between = between.succ_opt().unwrap();
                }
                date = date.succ_opt().unwrap();
            }
        }
    }

    #[test]
    fn dl_4_deadlines_across_2024_2030_daylight_saving_are_10_local() {
        let cal = Calendar::default();
        let mut date = d(2024, 1, 1);
        let mut offsets = std::collections::BTreeSet::new();
        while date <= d(2030, 12, 31) {
            let dl = cal.registration_deadline(date).unwrap();
            assert_eq!(local(dl).time(), NaiveTime::from_hms_opt(10, 0, 0).unwrap(), "{date}");
            offsets.insert((local(dl) - dl.naive_utc()).num_hours());
            date = date.succ_opt().unwrap();
        }
        assert_eq!(
            offsets.into_iter().collect::<Vec<_>>(),
            vec![1, 2],
            "winter and summer time both seen"
        );
    }

    #[test]
    fn dl_4_local_times_on_the_daylight_saving_days() {
        // 30 March 2025: 02:00 → 03:00; 26 October 2025: 03:00 → 02:00.
        let spring = d(2025, 3, 30);
        let e = brussels_instant(spring, NaiveTime::from_hms_opt(2, 30, 0).unwrap()).unwrap_err();
        assert_eq!((e.code(), e.rule()), ("nonexistent_local_time", "DL-4"));
        let a = brussels_instant(spring, NaiveTime::from_hms_opt(1, 0, 0).unwrap()).unwrap();
        let b = brussels_instant(spring, NaiveTime::from_hms_opt(4, 0, 0).unwrap()).unwrap();
        assert_eq!((b - a).num_hours(), 2, "01:00–04:00 lasts two hours in spring");
        let autumn = d(2025, 10, 26);
        let a = brussels_instant(autumn, NaiveTime::from_hms_opt(1, 0, 0).unwrap()).unwrap();
        let b = brussels_instant(autumn, NaiveTime::from_hms_opt(4, 0, 0).unwrap()).unwrap();
        assert_eq!((b - a).num_hours(), 4, "01:00–04:00 lasts four hours in autumn");
        // DL-1: the date of an instant is its Brussels date.
        let late_utc: DateTime<Utc> = "2025-07-10T22:30:00Z".parse().unwrap();
        assert_eq!(local_date(late_utc), d(2025, 7, 11));
    }

    #[test]
    fn dl_4_fast_brussels_clock_agrees_with_the_tz_database_hour_by_hour() {
        // Every hour from 1995 to 2100, plus the minutes around each change.
        let mut t = Utc.with_ymd_and_hms(1995, 1, 1, 0, 0, 0).unwrap().timestamp();
        let end = Utc.with_ymd_and_hms(2100, 12, 31, 23, 0, 0).unwrap().timestamp();
        while t <= end {
            for dt in [0, -1, 1, -60, 59 * 60] {
                let u = t + dt;
                let tz = Utc.timestamp_opt(u, 0).unwrap().with_timezone(&Brussels);
                assert_eq!(brussels_offset(u), tz.offset().fix().local_minus_utc(), "offset at {u}");
                assert_eq!(hm_unix(u), tz.format("%H:%M").to_string());
                assert_eq!(local_date_unix(u), Some(tz.date_naive()));
            }
            t += 3_600;
        }
    }

    #[test]
    fn dl_4_the_fast_clock_covers_exactly_the_years_it_names() {
        // The test above would pass with no fast path at all (the tz database answers the
        // same): the table must cover 1996-01-01T00:00Z up to, not including, 2100.
        let first = Utc.with_ymd_and_hms(1996, 1, 1, 0, 0, 0).unwrap().timestamp();
        let after = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap().timestamp();
        assert_eq!(FAST_INSTANTS, first..after);
        assert_eq!(CHANGES.len(), 2 * 104);
        assert_eq!(
            CHANGES[0],
            Utc.with_ymd_and_hms(1996, 3, 31, 1, 0, 0).unwrap().timestamp()
        );
        assert_eq!(
            CHANGES[CHANGES.len() - 1],
            Utc.with_ymd_and_hms(2099, 10, 25, 1, 0, 0).unwrap().timestamp()
        );
    }
    #[test]
    fn dl_4_fast_local_to_instant_agrees_with_the_tz_database() {
        let mut date = d(1995, 1, 1);
        while date <= d(2100, 12, 31) {
            let change_day = date.weekday() == Weekday::Sun && matches!(date.month(), 3 | 9 | 10);
            let minutes: Vec<u32> = if change_day {
                (0..24 * 60).step_by(15).collect()
            } else {
                vec![0, 9 * 60 + 30, 23 * 60 + 59]
            };
            for m in minutes {
                let time = NaiveTime::from_hms_opt(m / 60, m % 60, 0).unwrap();
                let slow = brussels_instant_tz(date, time).map(|t| t.timestamp());
                let fast = brussels_unix(date, time);
                assert_eq!(fast.as_ref().ok(), slow.as_ref().ok(), "{date} {time}");
                assert_eq!(fast.is_err(), slow.is_err(), "{date} {time}");
            }
            date = date.succ_opt().unwrap();
        }
    }

    /// A day `brussels_day` answers has every wall-clock second at `local + t − offset`, as
    /// the tz database says; a day it leaves to `brussels_unix` is a clock-change day or out of
    /// its years. Every day of 1995–2100.
    #[test]
    fn dl_4_a_day_without_a_clock_change_has_one_offset_throughout() {
        let mut date = d(1995, 1, 1);
        let mut change_days = 0;
        while date <= d(2100, 12, 31) {
            let in_years = (1996..=2099).contains(&date.year());
            let probes = [0u32, 3_599, 7_200, 10_800, 9 * 3_600 + 1_800, 86_399];
            match brussels_day(date) {
                Some((local, offset)) => {
                    assert!(in_years, "{date}");
                    for t in probes {
                        let time = NaiveTime::from_num_seconds_from_midnight_opt(t, 0).unwrap();
                        let slow = brussels_instant_tz(date, time).map(|x| x.timestamp());
                        assert_eq!(slow.ok(), Some(local + i64::from(t) - offset), "{date} {time}");
                    }
                }
                None if in_years => {
                    change_days += 1;
                    assert!(
                        date.weekday() == Weekday::Sun && matches!(date.month(), 3 | 10),
                        "{date}"
                    );
                    // Some wall-clock time of the day has another offset than midnight's, or none.
                    let offsets: Vec<Option<i64>> = (0..24)
                        .map(|h| {
                            let time = NaiveTime::from_hms_opt(h, 30, 0).unwrap();
                            brussels_instant_tz(date, time)
                                .ok()
                                .map(|x| x.timestamp() - i64::from(h * 3_600 + 1_800))
                        })
                        .collect();
                    assert!(offsets.windows(2).any(|w| w[0] != w[1]), "{date}");
                }
                None => {}
            }
            date = date.succ_opt().unwrap();
        }
        assert_eq!(change_days, 2 * 104);
    }

    #[test]
    fn dl_4_every_day_number_parsed_by_hand_agrees_with_chrono() {
        // Days 00..=32 of every month of leap and common years (1900, 2000, 2024, 2026, 0, 9999).
        for y in [0, 1900, 1970, 2000, 2023, 2024, 2026, 2100, 9999] {
            for m in 0..=13 {
                for d in 0..=32 {
                    let s = format!("{y:04}-{m:02}-{d:02}T23:59:59Z");
                    let slow = s.parse::<DateTime<Utc>>().ok().map(|t| (t.timestamp(), 0));
                    assert_eq!(fast_rfc3339(&s), slow, "{s}");
                }
            }
        }
    }

    #[test]
    fn dl_4_instants_parsed_by_hand_agree_with_chrono() {
        for s in [
            "2026-03-02T08:12:00Z",
            "2026-03-02T09:12:00+01:00",
            "2026-10-25T01:30:00.123456+02:00",
            "2026-10-25T01:30:00.5Z",
            "2026-10-25T01:30:00.123456789-00:30",
            "2026-03-29t02:30:00z",
            "2026-03-02 08:12:00Z",
        ] {
            let slow = s
                .parse::<DateTime<Utc>>()
                .ok()
                .map(|t| (t.timestamp(), t.timestamp_subsec_nanos()));
            assert_eq!(fast_rfc3339(s), slow, "{s}");
            let chrono_rfc = DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc));
            assert_eq!(parse_instant(s).ok(), chrono_rfc, "{s}");
        }
        for s in [
            "2026-13-02T08:12:00Z",
            "2026-02-30T08:12:00Z",
            "2026-03-02T24:00:00Z",
            "2026-03-02T08:12Z",
            "2026-03-02T08:12:00.Z",
            "x",
        ] {
            assert_eq!(fast_rfc3339(s), None, "{s}");
            assert!(parse_instant(s).is_err(), "{s}");
        }
    }
    #[test]
    fn dl_4_day_counts_and_years_agree_with_chrono() {
        // The hand-made civil-date arithmetic behind the fast Brussels offsets, over years far
        // beyond the limits, before and after 1970 and year 0.
        let mut day = NaiveDate::from_ymd_opt(-1200, 1, 1).unwrap();
        let end = NaiveDate::from_ymd_opt(3000, 12, 31).unwrap();
        while day <= end {
            let z = days_from_civil(i64::from(day.year()), i64::from(day.month()), i64::from(day.day()));
            assert_eq!(z, i64::from(day.num_days_from_ce()) - 719_163, "{day}");
            assert_eq!(year_of_days(z), i64::from(day.year()), "{day}");
            day += chrono::Duration::days(13);
        }
    }

    proptest::proptest! {
        /// AUD-2: instants are written byte for byte as chrono writes them (the hash chain and
        /// the fingerprints of logs written before the fast path must not change), through the
        /// same serializer call.
        #[test]
        fn aud_2_instants_written_as_chrono_writes_them(
            secs in -70_000_000_000i64..300_000_000_000, nanos in 0u32..1_000_000_000, whole in proptest::bool::ANY,
            round in 0u32..3,
        ) {
            let nanos = if whole { 0 } else { [nanos, nanos / 1000 * 1000, nanos / 1_000_000 * 1_000_000][round as usize] };
            let t = DateTime::from_timestamp(secs, nanos).unwrap();
            let fast = serde_json::to_string(&instant_serde::Fast(&t)).unwrap();
            proptest::prop_assert_eq!(&fast, &serde_json::to_string(&t).unwrap());
            let opt = |t: Option<DateTime<Utc>>| {
                let mut out = Vec::new();
                instant_serde::option::serialize(&t, &mut serde_json::Serializer::new(&mut out)).unwrap();
                String::from_utf8(out).unwrap()
            };
            proptest::prop_assert_eq!(opt(Some(t)), fast);
            proptest::prop_assert_eq!(opt(None), "null");
        }
    }
}
