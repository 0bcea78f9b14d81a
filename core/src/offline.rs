//! Offline scans (ATT-6): what a scanner that lost its network records, how it signs the
//! batch it sends on reconnection, and what the host answers per scan.
//!
//! A scan carries the token (or person), check-in or check-out, the device's id, a
//! per-device sequence number, the device-clock instant and the time elapsed on the device's
//! monotonic clock since its last synchronisation with the host. The host judges each scan
//! at the **reconstructed instant**: the synchronisation instant the host recorded plus the
//! monotonic elapsed time, which no one can set by changing the phone's clock. The
//! device-clock instant only serves to flag a scan `clock_suspect` when the two disagree by
//! more than `offline_clock_skew_minutes`.
//!
//! [`OfflineQueue`] is the scanner side: it queues scans, numbers them, signs the batch with
//! the device key and survives being written to disk as a JSON string. It needs no host and
//! no clock: the app passes the instants and elapsed times it reads.
//!
//! ```
//! use chrono::{DateTime, Utc};
//! use tijdreg::offline::{DeviceKey, OfflineQueue, ScanKind, Target};
//!
//! let key = DeviceKey::new(b"a device key of 32 bytes........".to_vec())?;
//! let synced: DateTime<Utc> = "2026-03-02T07:55:00Z".parse().unwrap();
//! let mut q = OfflineQueue::new("phone-1".into(), key.clone(), "p-tom".into());
//! q.synced(synced)?;
//! // The network drops; two scans, 5 and 190 minutes after the synchronisation.
//! q.scan(ScanKind::CheckIn, "S-1".into(), Target::Person("p-ann".into()), "2026-03-02T08:00:00Z".parse().unwrap(), 300_000)?;
//! q.scan(ScanKind::CheckOut, "S-1".into(), Target::Person("p-ann".into()), "2026-03-02T11:05:00Z".parse().unwrap(), 11_400_000)?;
//! let stored = q.to_json();                      // the app keeps this string on disk
//! let q = OfflineQueue::from_json(&stored)?;     // and reads it back after a restart
//! let batch = q.batch().expect("two scans");
//! assert_eq!(batch.scans.len(), 2);
//! assert!(batch.verify(&key));                   // what the host checks
//! assert_eq!(batch.scans[1].reconstructed(batch.sync_at).to_rfc3339(), "2026-03-02T11:05:00+00:00");
//! # Ok::<(), tijdreg::Error>(())
//! ```

use crate::access::Validity;
use crate::error::Error;
use crate::ids::{DeviceId, PersonId, ProjectId, SessionId};
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Sha256;
use std::fmt;

type HmacSha256 = Hmac<Sha256>;

/// Scans in one batch, at most.
pub const MAX_SCANS_PER_BATCH: usize = 10_000;

const DOMAIN: &[u8] = b"tijdreg/att-6/batch/v1";

/// A device's signing key (ATT-6): 16 to 64 bytes, chosen by the host when it registers the
/// device and handed to the device once. It prints as `DeviceKey(…)`; it is stored in the
/// event log (as base64url) so that batches can be verified after a replay, and masked in
/// every preview, what-if and query answer.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceKey(Vec<u8>);

impl DeviceKey {
    /// A key of 16..=64 bytes.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a shorter or longer key.
    pub fn new(bytes: Vec<u8>) -> Result<DeviceKey, Error> {
        if (16..=64).contains(&bytes.len()) {
            Ok(DeviceKey(bytes))
        } else {
            Err(Error::invalid(
                "a device key holds 16 to 64 bytes",
                "een toestelsleutel bevat 16 tot 64 bytes",
            ))
        }
    }

    /// The key as base64url (what the host hands to the device).
    pub fn to_base64(&self) -> String {
        crate::qr::b64_encode(&self.0)
    }

    /// A key from base64url.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for text that is not base64url or a key of the wrong length.
    pub fn from_base64(s: &str) -> Result<DeviceKey, Error> {
        let bytes = crate::qr::b64_decode(s).ok_or_else(|| {
            Error::invalid(
                "a device key is written in base64url",
                "een toestelsleutel wordt in base64url geschreven",
            )
        })?;
        DeviceKey::new(bytes)
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length.
        <HmacSha256 as hmac::digest::KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default()))
    }
}

impl fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceKey(…)")
    }
}

impl Serialize for DeviceKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for DeviceKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DeviceKey::from_base64(&s).map_err(|_| serde::de::Error::custom("a device key: 16 to 64 bytes in base64url"))
    }
}

/// A scanning device registered for a project by an OrganisationResponsible (ATT-6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Id.
    pub id: DeviceId,
    /// The project whose sessions it may scan.
    pub project: ProjectId,
    /// Its signing key (stored; masked in every answer).
    pub device_key: DeviceKey,
    /// Valid from and until (Brussels dates, inclusive, as grants: ACC-2).
    pub validity: Validity,
    /// Who registered it.
    pub registered_by: PersonId,
    /// When it was revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Device {
    /// Whether the registration holds at `at` (its Brussels date inside the validity, ACC-2)
    /// and was not revoked by then.
    pub fn valid_at(&self, at: DateTime<Utc>) -> bool {
        self.validity.covers(at) && self.revoked_at.is_none_or(|r| at < r)
    }
}

/// Check-in or check-out (ATT-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanKind {
    /// Check-in.
    CheckIn,
    /// Check-out.
    CheckOut,
}

impl ScanKind {
    fn code(self) -> &'static str {
        match self {
            ScanKind::CheckIn => "check_in",
            ScanKind::CheckOut => "check_out",
        }
    }
}

/// Who a scan registers: a participant's QR token (QR-2) or, by hand, a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A QR token.
    Token(String),
    /// A person, entered by hand.
    Person(PersonId),
}

/// One scan made without a network (ATT-6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scan {
    /// The device's sequence number (from 1, never reused): a scan is applied once.
    pub seq: u64,
    /// Check-in or check-out.
    pub kind: ScanKind,
    /// The session.
    pub session: SessionId,
    /// The QR token scanned, or
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// the person entered by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<PersonId>,
    /// The device's clock when it scanned.
    pub device_time: DateTime<Utc>,
    /// Milliseconds on the device's monotonic clock since the last synchronisation.
    pub elapsed_ms: u64,
}

impl Scan {
    /// The reconstructed instant: the synchronisation instant plus the monotonic elapsed time.
    pub fn reconstructed(&self, sync_at: DateTime<Utc>) -> DateTime<Utc> {
        i64::try_from(self.elapsed_ms)
            .ok()
            .and_then(|ms| sync_at.checked_add_signed(Duration::milliseconds(ms)))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Whether the device clock lies more than `skew_minutes` from the reconstructed instant.
    pub fn clock_suspect(&self, sync_at: DateTime<Utc>, skew_minutes: u32) -> bool {
        let off = self
            .device_time
            .signed_duration_since(self.reconstructed(sync_at))
            .abs();
        off > Duration::minutes(i64::from(skew_minutes))
    }
}

/// The scans a device sends on reconnection, signed with its key (ATT-6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// The device.
    pub device: DeviceId,
    /// The person who scanned (judged at each scan's reconstructed instant: ACC, ATT-4).
    pub scanned_by: PersonId,
    /// The host's instant of the device's last synchronisation (recorded by `sync_device`).
    pub sync_at: DateTime<Utc>,
    /// The scans, in the order they were made.
    pub scans: Vec<Scan>,
    /// HMAC-SHA256 of the batch with the device key, base64url.
    pub signature: String,
}

fn field(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

impl Batch {
    /// The bytes the signature covers: a domain tag, then every field but the signature,
    /// each prefixed with its length (so no two batches share them). Documented in
    /// `docs/mobile.md` for devices that sign without this library.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64usize.saturating_mul(self.scans.len().saturating_add(2)));
        field(&mut out, DOMAIN);
        field(&mut out, self.device.as_str().as_bytes());
        field(&mut out, self.scanned_by.as_str().as_bytes());
        field(&mut out, self.sync_at.timestamp_millis().to_string().as_bytes());
        field(&mut out, self.scans.len().to_string().as_bytes());
        for s in &self.scans {
            field(&mut out, s.seq.to_string().as_bytes());
            field(&mut out, s.kind.code().as_bytes());
            field(&mut out, s.session.as_str().as_bytes());
            field(&mut out, s.token.as_deref().unwrap_or("").as_bytes());
            field(&mut out, s.person.as_ref().map_or("", PersonId::as_str).as_bytes());
            field(&mut out, s.device_time.timestamp_millis().to_string().as_bytes());
            field(&mut out, s.elapsed_ms.to_string().as_bytes());
        }
        out
    }

    /// Signs the batch with the device key.
    pub fn sign(&mut self, key: &DeviceKey) {
        let mut m = key.mac();
        m.update(&self.signed_bytes());
        self.signature = crate::qr::b64_encode(&m.finalize().into_bytes());
    }

    /// Whether the signature is the device key's (constant-time comparison).
    pub fn verify(&self, key: &DeviceKey) -> bool {
        let Some(tag) = crate::qr::b64_decode(&self.signature) else {
            return false;
        };
        let mut m = key.mac();
        m.update(&self.signed_bytes());
        m.verify_slice(&tag).is_ok()
    }
}

/// What became of one scan of a batch (ATT-6). Never all-or-nothing: every scan has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanStatus {
    /// Registered at its reconstructed instant.
    Applied,
    /// The same (device, sequence number) was applied before: nothing changes.
    AlreadyApplied,
    /// It contradicts what was registered online meanwhile (ATT-3); not applied.
    Conflicting,
    /// A rule refuses it (code and rule given); not applied.
    Refused,
}

/// The result of one scan, in the batch's answer and its event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanResult {
    /// The scan's sequence number.
    pub seq: u64,
    /// What became of it.
    pub status: ScanStatus,
    /// The instant it was judged at (synchronisation + elapsed).
    pub instant: DateTime<Utc>,
    /// Its device clock disagreed with that instant by more than the allowed skew.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub clock_suspect: bool,
    /// The error code, when not applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The rule, when not applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Why, in English, when not applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_en: Option<String>,
    /// Why, in Dutch, when not applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_nl: Option<String>,
}

/// The scanner side of ATT-6: a queue of offline scans that numbers them, signs them as a
/// batch and is kept on disk as a JSON string between app restarts. See the module example.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfflineQueue {
    device: DeviceId,
    key: DeviceKey,
    scanned_by: PersonId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sync_at: Option<DateTime<Utc>>,
    next_seq: u64,
    #[serde(default)]
    scans: Vec<Scan>,
}

impl fmt::Debug for OfflineQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OfflineQueue")
            .field("device", &self.device)
            .field("scanned_by", &self.scanned_by)
            .field("sync_at", &self.sync_at)
            .field("next_seq", &self.next_seq)
            .field("pending", &self.scans.len())
            .finish_non_exhaustive()
    }
}

impl OfflineQueue {
    /// A new queue for a device (its key as the host handed it) and the person scanning;
    /// sequence numbers start at 1.
    pub fn new(device: DeviceId, key: DeviceKey, scanned_by: PersonId) -> OfflineQueue {
        OfflineQueue {
            device,
            key,
            scanned_by,
            sync_at: None,
            next_seq: 1,
            scans: Vec::new(),
        }
    }

    /// Records a synchronisation with the host at the host's instant `at` (what
    /// `sync_device` answered). The monotonic elapsed times of later scans count from here.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when scans are pending: send them first, they count from the
    /// previous synchronisation.
    pub fn synced(&mut self, at: DateTime<Utc>) -> Result<(), Error> {
        if !self.scans.is_empty() {
            return Err(Error::invalid(
                "scans are pending: send them before synchronising again (ATT-6)",
                "er wachten nog scans: verstuur ze voor een nieuwe synchronisatie (ATT-6)",
            ));
        }
        self.sync_at = Some(at);
        Ok(())
    }

    /// The person scanning changes (a new trainer takes the device); only with no scans pending.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when scans are pending.
    pub fn set_scanned_by(&mut self, person: PersonId) -> Result<(), Error> {
        if !self.scans.is_empty() {
            return Err(Error::invalid(
                "scans are pending: send them before another person scans (ATT-6)",
                "er wachten nog scans: verstuur ze voor iemand anders scant (ATT-6)",
            ));
        }
        self.scanned_by = person;
        Ok(())
    }

    /// Queues a scan; returns its sequence number.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] before the first synchronisation, or when the queue is full
    /// ([`MAX_SCANS_PER_BATCH`]).
    pub fn scan(
        &mut self,
        kind: ScanKind,
        session: SessionId,
        target: Target,
        device_time: DateTime<Utc>,
        elapsed_ms: u64,
    ) -> Result<u64, Error> {
        if self.sync_at.is_none() {
            return Err(Error::invalid(
                "the device has not synchronised with the host yet (ATT-6)",
                "het toestel heeft nog niet met de host gesynchroniseerd (ATT-6)",
            ));
        }
        if self.scans.len() >= MAX_SCANS_PER_BATCH {
            return Err(Error::invalid(
                "the offline queue is full (10000 scans): send it first",
                "de offline wachtrij is vol (10000 scans): verstuur ze eerst",
            ));
        }
        let seq = self.next_seq;
        self.next_seq = self.next_seq.saturating_add(1);
        let (token, person) = match target {
            Target::Token(t) => (Some(t), None),
            Target::Person(p) => (None, Some(p)),
        };
        self.scans.push(Scan {
            seq,
            kind,
            session,
            token,
            person,
            device_time,
            elapsed_ms,
        });
        Ok(seq)
    }

    /// The pending scans.
    pub fn pending(&self) -> &[Scan] {
        &self.scans
    }

    /// The signed batch of the pending scans (none when nothing is pending).
    pub fn batch(&self) -> Option<Batch> {
        let sync_at = self.sync_at?;
        if self.scans.is_empty() {
            return None;
        }
        let mut b = Batch {
            device: self.device.clone(),
            scanned_by: self.scanned_by.clone(),
            sync_at,
            scans: self.scans.clone(),
            signature: String::new(),
        };
        b.sign(&self.key);
        Some(b)
    }

    /// Drops the scans the host has answered (any status: a refused scan stays refused), after
    /// the batch's result arrived.
    pub fn acknowledge(&mut self, results: &[ScanResult]) {
        // The answered sequence numbers looked up, not scanned: a full queue of 10,000 scans
        // answered at once costs 10,000 lookups, not 100 million comparisons.
        let answered: std::collections::BTreeSet<u64> = results.iter().map(|r| r.seq).collect();
        self.scans.retain(|s| !answered.contains(&s.seq));
    }

    /// The queue as a JSON string to keep on disk (it holds the device key: store it where
    /// the app keeps secrets).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A queue read back from [`OfflineQueue::to_json`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field that does not fit.
    pub fn from_json(json: &str) -> Result<OfflineQueue, Error> {
        crate::decode::from_str(json, "queue")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> DeviceKey {
        DeviceKey::new(b"sixteen+ bytes of key".to_vec()).expect("key")
    }

    fn queue() -> OfflineQueue {
        let mut q = OfflineQueue::new("d-1".into(), key(), "p-tom".into());
        q.synced("2026-03-02T08:00:00Z".parse().expect("instant"))
            .expect("synced");
        for (i, kind) in [ScanKind::CheckIn, ScanKind::CheckOut].into_iter().enumerate() {
            q.scan(
                kind,
                "S-1".into(),
                Target::Token(format!("tok-{i}")),
                "2026-03-02T08:10:00Z".parse().expect("instant"),
                600_000,
            )
            .expect("queued");
        }
        q
    }

    /// ATT-6: the scans the host answered leave the queue, whatever their status; the others
    /// stay, in order, and an answer for a scan the queue does not hold changes nothing.
    #[test]
    fn att_6_answered_scans_leave_the_queue_the_others_stay() {
        let mut q = queue();
        let answer = |seq: u64| ScanResult {
            seq,
            status: ScanStatus::Refused,
            instant: DateTime::<Utc>::UNIX_EPOCH,
            clock_suspect: false,
            code: None,
            rule: None,
            message_en: None,
            message_nl: None,
        };
        assert_eq!(q.pending().iter().map(|s| s.seq).collect::<Vec<_>>(), [1, 2]);
        q.acknowledge(&[answer(99), answer(1), answer(1)]);
        assert_eq!(q.pending().iter().map(|s| s.seq).collect::<Vec<_>>(), [2]);
        q.acknowledge(&[]);
        assert_eq!(q.pending().len(), 1);
        q.acknowledge(&[answer(2)]);
        assert!(q.pending().is_empty());
    }

    #[test]
    fn att_6_batches_are_signed_over_every_field() {
        let b = queue().batch().expect("batch");
        assert!(b.verify(&key()));
        assert!(!b.verify(&DeviceKey::new(b"another key of 16 bytes".to_vec()).expect("key")));
        let mut changed = b.clone();
        changed.scans[1].elapsed_ms += 1;
        assert!(!changed.verify(&key()), "elapsed time is signed");
        let mut changed = b.clone();
        changed.scanned_by = "p-eva".into();
        assert!(!changed.verify(&key()), "the scanner is signed");
        let mut changed = b.clone();
        changed.scans.swap(0, 1);
        assert!(!changed.verify(&key()), "the order is signed");
        let mut changed = b;
        changed.signature = "not base64 !".into();
        assert!(!changed.verify(&key()));
    }

    #[test]
    fn att_6_the_queue_survives_disk_and_numbers_scans_once() {
        let q = queue();
        let back = OfflineQueue::from_json(&q.to_json()).expect("read back");
        assert_eq!(back, q);
        assert_eq!(back.batch(), q.batch());
        let mut q = back;
        let b = q.batch().expect("batch");
        assert_eq!(b.scans.iter().map(|s| s.seq).collect::<Vec<_>>(), [1, 2]);
        assert!(q.synced(b.sync_at).is_err(), "pending scans first");
        let answered: Vec<ScanResult> = b
            .scans
            .iter()
            .map(|s| ScanResult {
                seq: s.seq,
                status: ScanStatus::Applied,
                instant: s.reconstructed(b.sync_at),
                clock_suspect: false,
                code: None,
                rule: None,
                message_en: None,
                message_nl: None,
            })
            .collect();
        q.acknowledge(&answered);
        assert!(q.pending().is_empty() && q.batch().is_none());
        q.synced("2026-03-02T12:00:00Z".parse().expect("instant"))
            .expect("synced");
        let seq = q
            .scan(
                ScanKind::CheckIn,
                "S-2".into(),
                Target::Person("p-ann".into()),
                b.sync_at,
                0,
            )
            .expect("queued");
        assert_eq!(seq, 3, "sequence numbers continue across synchronisations");
        assert!(!format!("{q:?}").contains("sixteen"), "the key never prints");
    }

    #[test]
    fn att_6_reconstructed_instant_and_clock_suspect() {
        let q = queue();
        let b = q.batch().expect("batch");
        let s = &b.scans[0];
        assert_eq!(s.reconstructed(b.sync_at).to_rfc3339(), "2026-03-02T08:10:00+00:00");
        assert!(!s.clock_suspect(b.sync_at, 5));
        let mut skewed = s.clone();
        skewed.device_time = "2026-03-02T08:15:01Z".parse().expect("instant");
        assert!(skewed.clock_suspect(b.sync_at, 5));
        assert!(!skewed.clock_suspect(b.sync_at, 6));
        skewed.elapsed_ms = u64::MAX;
        assert_eq!(skewed.reconstructed(b.sync_at), DateTime::<Utc>::MAX_UTC);
    }
}
