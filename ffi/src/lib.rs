//! tijdreg for other languages. Two thin layers over the core, no rule of their own:
//!
//! - [`uniffi`] objects for Kotlin, Swift and Python: an [`Engine`] (the ledger) with a typed
//!   surface for scanners and small hosts ([`ScannerCommand`], [`HostCommand`],
//!   [`SessionView`], [`ReportView`], the offline queue [`OfflineScanner`]; instants, days and
//!   money in each language's own types) beside the JSON one (every command and query);
//!   errors as [`TijdregError`] with code, rule and both messages.
//! - a plain C API ([`c_api`]): an opaque handle, JSON in and out, integer status codes, a
//!   free function for returned strings; header `include/tijdreg.h` (cbindgen).

pub mod c_api;
mod typed;

pub use typed::*;

use std::sync::{Arc, Mutex, MutexGuard};
use tijdreg::ledger::query;
use tijdreg::ledger::{Actor, Envelope, Ledger};
use tijdreg::qr::Keyring;
use tijdreg::{Error, ErrorKind};

uniffi::setup_scaffolding!();

/// A refusal or an input error, by kind, with the stable code, the rule (docs/rules.md) and the
/// messages in Dutch (`message_nl`) and English (`message_en`) — the same four fields in
/// every variant (not `message`: Kotlin's exceptions already have one).
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[allow(missing_docs)]
pub enum TijdregError {
    /// Malformed or out-of-range input.
    #[error("[{rule} {code}] {message_en}")]
    InvalidInput {
        code: String,
        rule: String,
        message_nl: String,
        message_en: String,
    },
    /// The actor lacks a right.
    #[error("[{rule} {code}] {message_en}")]
    AccessDenied {
        code: String,
        rule: String,
        message_nl: String,
        message_en: String,
    },
    /// A reference to something that does not exist.
    #[error("[{rule} {code}] {message_en}")]
    NotFound {
        code: String,
        rule: String,
        message_nl: String,
        message_en: String,
    },
    /// An id, code or presence that exists already.
    #[error("[{rule} {code}] {message_en}")]
    Conflict {
        code: String,
        rule: String,
        message_nl: String,
        message_en: String,
    },
    /// A rule refuses the command.
    #[error("[{rule} {code}] {message_en}")]
    Rejected {
        code: String,
        rule: String,
        message_nl: String,
        message_en: String,
    },
}

impl From<Error> for TijdregError {
    fn from(e: Error) -> Self {
        let i = e.info();
        let (code, rule, message_nl, message_en) = (i.code, i.rule, i.message, i.message_en);
        match i.kind {
            ErrorKind::InvalidInput => TijdregError::InvalidInput {
                code,
                rule,
                message_nl,
                message_en,
            },
            ErrorKind::AccessDenied => TijdregError::AccessDenied {
                code,
                rule,
                message_nl,
                message_en,
            },
            ErrorKind::NotFound => TijdregError::NotFound {
                code,
                rule,
                message_nl,
                message_en,
            },
            ErrorKind::Conflict => TijdregError::Conflict {
                code,
                rule,
                message_nl,
                message_en,
            },
            ErrorKind::Rejected => TijdregError::Rejected {
                code,
                rule,
                message_nl,
                message_en,
            },
        }
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, Error> {
    serde_json::to_string(v).map_err(|_| {
        Error::invalid(
            "the answer could not be written as JSON",
            "het antwoord kon niet als JSON geschreven worden",
        )
    })
}

/// A QR signing key of the host (QR-2).
#[derive(uniffi::Record)]
pub struct QrKey {
    /// Key id (carried in every token).
    pub key_id: String,
    /// Secret, at least 16 bytes.
    pub secret: Vec<u8>,
}

/// What a verified QR token names.
#[derive(uniffi::Record)]
pub struct QrSubject {
    /// Project id.
    pub project: String,
    /// Person id.
    pub person: String,
}

/// What a national number tells (ID-1), masked (ID-3).
#[derive(uniffi::Record)]
pub struct InszInfo {
    /// `85.07.30-xxx.xx`.
    pub masked: String,
    /// `YYYY-MM-DD` when month and day are known.
    pub birth_date: Option<String>,
    /// Birth year.
    pub birth_year: i32,
    /// `F`, `M` or none.
    pub sex: Option<String>,
    /// `National`, `BisSexUnknown`, `BisSexKnown`.
    pub kind: String,
}

fn keyring(keys: Vec<QrKey>) -> Result<Keyring, Error> {
    let mut k = Keyring::default();
    for key in keys {
        k.add(&key.key_id, key.secret)?;
    }
    Ok(k)
}

/// The ledger for a mobile scanner or any host: JSON commands and queries.
#[derive(uniffi::Object)]
pub struct Engine {
    ledger: Mutex<Ledger>,
}

impl Engine {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Ledger> {
        // A poisoned lock means a panic mid-apply; the ledger is only mutated after all checks
        // passed, so its state is consistent and can be used on.
        self.ledger.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[uniffi::export]
impl Engine {
    /// An empty ledger with the host's QR keys.
    #[uniffi::constructor]
    pub fn new(keys: Vec<QrKey>) -> Result<Arc<Self>, TijdregError> {
        Ok(Arc::new(Engine {
            ledger: Mutex::new(Ledger::with_keys(keyring(keys)?)),
        }))
    }

    /// A ledger from a snapshot.
    #[uniffi::constructor]
    pub fn load(snapshot: String, keys: Vec<QrKey>) -> Result<Arc<Self>, TijdregError> {
        Ok(Arc::new(Engine {
            ledger: Mutex::new(Ledger::from_snapshot_json(&snapshot, keyring(keys)?)?),
        }))
    }

    /// A ledger rebuilt from an event log as [`Engine::events_jsonl`] writes it (AUD-2): the
    /// same state, and retries answered as before; a damaged log (reordered, cut, altered) is
    /// refused naming its first bad line (`damaged_log`).
    #[uniffi::constructor]
    pub fn replay(log: String, keys: Vec<QrKey>) -> Result<Arc<Self>, TijdregError> {
        Ok(Arc::new(Engine {
            ledger: Mutex::new(Ledger::replay_jsonl(log.as_bytes(), keyring(keys)?)?),
        }))
    }

    /// Replaces the QR keys (rotation, QR-2): tokens of a removed key stop verifying.
    pub fn set_qr_keys(&self, keys: Vec<QrKey>) -> Result<(), TijdregError> {
        let k = keyring(keys)?;
        self.lock().set_keys(k);
        Ok(())
    }

    /// Applies a command envelope (JSON); returns the outcome (JSON).
    pub fn apply_json(&self, envelope: String) -> Result<String, TijdregError> {
        let env = Envelope::from_json(&envelope)?;
        Ok(to_json(&self.lock().apply(&env)?)?)
    }

    /// The events a command would produce (JSON), without applying it (AUD-5).
    pub fn preview_json(&self, envelope: String) -> Result<String, TijdregError> {
        let env = Envelope::from_json(&envelope)?;
        Ok(to_json(&self.lock().preview(&env)?)?)
    }

    /// Runs a query envelope (JSON); returns the answer (JSON).
    pub fn query_json(&self, envelope: String) -> Result<String, TijdregError> {
        let v: serde_json::Value = tijdreg::decode::from_str_max(&envelope, "", tijdreg::decode::MAX_COMMAND_BYTES)?;
        Ok(to_json(&query::run_on_ledger(&self.lock(), &v)?)?)
    }

    /// The subsidy report of a project (JSON) as `actor` sees it at `at` (RFC 3339).
    pub fn report_json(&self, actor: String, at: String, project: String) -> Result<String, TijdregError> {
        let at = tijdreg::calendar::parse_instant(&at)?;
        let r = tijdreg::ledger::report::report(
            self.lock().state(),
            &Actor::from(actor.as_str()),
            at,
            &project.as_str().into(),
        )?;
        Ok(to_json(&r)?)
    }

    /// The state as a JSON snapshot (AUD-2).
    pub fn snapshot(&self) -> String {
        self.lock().snapshot_json()
    }

    /// The event log, one hash-chained JSON line per event (AUD-1, AUD-2): what
    /// [`Engine::replay`] reads back.
    pub fn events_jsonl(&self) -> String {
        self.lock().events_jsonl()
    }

    /// Events folded so far.
    pub fn event_count(&self) -> u64 {
        self.lock().state().event_count
    }

    /// Issues a QR token for a person in a project with one of the keys.
    pub fn issue_qr_token(&self, key_id: String, project: String, person: String) -> Result<String, TijdregError> {
        Ok(self
            .lock()
            .keys()
            .issue(&key_id, &project.as_str().into(), &person.as_str().into())?)
    }

    /// Verifies a QR token.
    pub fn verify_qr_token(&self, token: String) -> Result<QrSubject, TijdregError> {
        let (project, person) = self.lock().keys().verify(&token)?;
        Ok(QrSubject {
            project: project.into(),
            person: person.into(),
        })
    }
}

/// The engine version.
#[uniffi::export]
pub fn version() -> String {
    tijdreg::VERSION.to_owned()
}

/// The report of plain records (JSON, `docs/records.md`) at `at` (RFC 3339), as JSON.
#[uniffi::export]
pub fn report_from_records_json(records: String, at: String) -> Result<String, TijdregError> {
    Ok(to_json(&tijdreg::subsidy::report_json(
        &records,
        tijdreg::calendar::parse_instant(&at)?,
    )?)?)
}

/// Parses a national number (ID-1); never returns it unmasked (ID-3).
#[uniffi::export]
pub fn parse_insz(number: String) -> Result<InszInfo, TijdregError> {
    let n = tijdreg::identity::Insz::parse(&number)?;
    Ok(InszInfo {
        masked: n.masked(),
        birth_date: n.birth_date().map(|d| d.to_string()),
        birth_year: n.birth_year(),
        sex: n.sex().map(|s| format!("{s:?}")),
        kind: format!("{:?}", n.kind()),
    })
}

/// The registration deadline (RFC 3339, UTC) of a training day `YYYY-MM-DD` (DL-2, DL-3).
#[uniffi::export]
pub fn registration_deadline(date: String, profile: String) -> Result<String, TijdregError> {
    let d: chrono::NaiveDate = date
        .parse()
        .map_err(|_| Error::invalid("date: expected YYYY-MM-DD", "datum: verwacht JJJJ-MM-DD"))?;
    let cal = tijdreg::calendar::Calendar::new(profile.parse()?);
    let dl = cal.registration_deadline(d).ok_or_else(|| {
        Error::invalid(
            "past the last representable date",
            "voorbij de laatste voorstelbare datum",
        )
    })?;
    Ok(dl.to_rfc3339())
}
