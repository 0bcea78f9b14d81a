//! Offline scans: rule ATT-6 (device registration with a validity period and revocation,
//! synchronisation, signed batches applied scan by scan at the reconstructed instant,
//! `clock_suspect`, idempotence by device and sequence number, conflicts with what was
//! registered online meanwhile), judged with ACC-1..5, ATT-2, ATT-4, QR-2, SES-6 and the DL-2
//! deadline at each scan's reconstructed instant.

use super::Cx;
use super::*;
use crate::ledger::Actor;
use crate::offline::{Batch, Device, Scan, ScanKind, ScanResult, ScanStatus};
use std::collections::BTreeMap;

/// What the batch has done so far to one participant's presence (scans within a batch build
/// on each other).
#[derive(Clone, Copy)]
struct Presence {
    open: Option<(DateTime<Utc>, bool)>,
    last_out: Option<DateTime<Utc>>,
    from_batch: bool,
}

impl<'a> Cx<'a> {
    fn device(&self, id: &DeviceId) -> Result<(&'a Device, &'a Project), Error> {
        match self
            .s
            .devices
            .get(id)
            .and_then(|d| Some((d, self.s.projects.get(&d.project)?)))
        {
            Some((d, p)) if self.az.sees_project(p) => Ok((d, p)),
            None if self.may_know_everything() => Err(unknown(Entity::Device, id.as_str())),
            _ => Err(Error::access(edit(), "ACC-6")),
        }
    }

    pub(super) fn register_device(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::RegisterDevice {
            device,
            project,
            device_key,
            valid_from,
            valid_until,
        } = c
        else {
            return Err(mismatch());
        };
        let p = self.project_for_edit(project)?;
        self.require_role_in(p, Role::OrganisationResponsible, edit())?;
        if self.s.devices.contains_key(device) {
            return Err(exists(Entity::Device, device.as_str()));
        }
        if valid_until.is_some_and(|u| u < *valid_from) {
            return Err(Error::invalid(
                "valid_until lies before valid_from",
                "valid_until ligt voor valid_from",
            ));
        }
        let registered_by = self.az.person().cloned().ok_or_else(|| {
            Error::access(
                txt(
                    "a person with a valid OrganisationResponsible grant (ATT-6)",
                    "een persoon met een geldig recht OrganisationResponsible (ATT-6)",
                ),
                "ATT-6",
            )
        })?;
        Ok(vec![Event::DeviceRegistered {
            device: Device {
                id: device.clone(),
                project: project.clone(),
                device_key: device_key.clone(),
                validity: Validity {
                    valid_from: *valid_from,
                    valid_until: *valid_until,
                },
                registered_by,
                revoked_at: None,
            },
        }])
    }

    pub(super) fn revoke_device(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::RevokeDevice { device } = c else {
            return Err(mismatch());
        };
        let (d, p) = self.device(device)?;
        self.require_role_in(p, Role::OrganisationResponsible, edit())?;
        if d.revoked_at.is_some() {
            return Err(Error::DeviceRevoked {
                device: device.to_string(),
            });
        }
        Ok(vec![Event::DeviceRevoked { device: device.clone() }])
    }

    pub(super) fn sync_device(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::SyncDevice { device } = c else {
            return Err(mismatch());
        };
        let (d, p) = self.device(device)?;
        if !(self.az.is_system()
            || self.az.has_role_in(p, Role::OrganisationResponsible)
            || self.az.has_role_in(p, Role::Trainer))
        {
            return Err(self
                .az
                .deny(Some(p), &[Role::Trainer, Role::OrganisationResponsible], run()));
        }
        if d.revoked_at.is_some_and(|r| r <= self.at) {
            return Err(Error::DeviceRevoked {
                device: device.to_string(),
            });
        }
        if !d.valid_at(self.at) {
            return Err(Error::DeviceNotValid {
                device: device.to_string(),
            });
        }
        Ok(vec![Event::DeviceSynced { device: device.clone() }])
    }

    pub(super) fn submit_offline_batch(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::SubmitOfflineBatch { batch } = c else {
            return Err(mismatch());
        };
        // The scanner, or the system relaying for them, submits.
        if !(self.az.is_system() || self.az.person() == Some(&batch.scanned_by)) {
            return Err(Error::access(
                txt(
                    "to be the person who scanned (or the system relaying the batch)",
                    "de persoon zijn die scande (of het systeem dat de batch doorgeeft)",
                ),
                "ATT-6",
            ));
        }
        let (device, _) = self.device(&batch.device)?;
        if device.revoked_at.is_some_and(|r| r <= self.at) {
            return Err(Error::DeviceRevoked {
                device: batch.device.to_string(),
            });
        }
        if !batch.verify(&device.device_key) {
            return Err(Error::InvalidBatchSignature);
        }
        if !self
            .s
            .device_syncs
            .get(&batch.device)
            .is_some_and(|syncs| syncs.contains(&batch.sync_at))
        {
            return Err(Error::UnknownSync);
        }
        self.apply_scans(batch, device)
    }

    fn apply_scans(&self, batch: &Batch, device: &Device) -> Result<Vec<Event>, Error> {
        let applied = self.s.device_scans.get(&batch.device);
        let mut seen: BTreeSet<u64> = BTreeSet::new();
        let mut presence: BTreeMap<(SessionId, PersonId), Presence> = BTreeMap::new();
        let mut events = Vec::new();
        let mut results = Vec::with_capacity(batch.scans.len());
        for scan in &batch.scans {
            let instant = scan.reconstructed(batch.sync_at);
            let mut result = ScanResult {
                seq: scan.seq,
                status: ScanStatus::Applied,
                instant,
                clock_suspect: false,
                code: None,
                rule: None,
                message_en: None,
                message_nl: None,
            };
            if applied.is_some_and(|a| a.contains(&scan.seq)) || !seen.insert(scan.seq) {
                result.status = ScanStatus::AlreadyApplied;
                results.push(result);
                continue;
            }
            match self.judge(batch, device, scan, instant, &mut presence) {
                Ok(event) => {
                    if let Event::OfflineScanApplied { clock_suspect, .. } = &event {
                        result.clock_suspect = *clock_suspect;
                    }
                    events.push(event);
                }
                Err((status, e)) => {
                    result.status = status;
                    result.code = Some(e.code().to_owned());
                    result.rule = Some(e.rule().to_owned());
                    result.message_en = Some(e.message_en());
                    result.message_nl = Some(e.message_nl());
                }
            }
            results.push(result);
        }
        // SES-6: a session no longer in progress keeps no one present; a check-in of this
        // batch without its check-out ends at the planned end.
        for ((session, person), p) in &presence {
            if let (Some(_), true) = (p.open, p.from_batch)
                && let Some(sess) = self.s.sessions.get(session)
                && sess.status != SessionStatus::InProgress
            {
                events.push(Event::CheckedOut {
                    session: session.clone(),
                    person: person.clone(),
                    time: sess.timing.end_at,
                    method: Method::ClosedByTrainer,
                    late: false,
                });
            }
        }
        events.push(Event::OfflineBatchReceived {
            device: batch.device.clone(),
            scanned_by: batch.scanned_by.clone(),
            results,
        });
        Ok(events)
    }

    /// One scan at its reconstructed instant: the event, or why not (conflicting or refused).
    #[allow(clippy::result_large_err)] // one per scan, turned into a result line at once
    fn judge(
        &self,
        batch: &Batch,
        device: &Device,
        scan: &Scan,
        instant: DateTime<Utc>,
        presence: &mut BTreeMap<(SessionId, PersonId), Presence>,
    ) -> Result<Event, (ScanStatus, Error)> {
        let refused = |e: Error| (ScanStatus::Refused, e);
        let scanner = Actor::Person(batch.scanned_by.clone());
        let then = Cx {
            s: self.s,
            keys: self.keys,
            az: Authz::new(self.s, &scanner, instant),
            at: instant,
            today: local_date(instant),
        };
        // ACC at the reconstructed instant: the scanner may see and run the session.
        let (sess, p) = then.session(&scan.session, Need::Run).map_err(refused)?;
        then.az.check_runner(sess, p).map_err(refused)?;
        if sess.project != device.project || !device.valid_at(instant) {
            return Err(refused(Error::DeviceNotValid {
                device: device.id.to_string(),
            }));
        }
        // DL-2: the batch reaches the host before the deadline of the session's day.
        if self.at > deadline(self.s, sess) {
            return Err(refused(Error::RegistrationClosed {
                session: sess.id.to_string(),
                date: sess.timing.date,
                deadline: local_text(deadline(self.s, sess)),
            }));
        }
        // ATT-4, SES-3: the session was in progress at that instant, and is not submitted now.
        let status_then = sess
            .history
            .iter()
            .rev()
            .find(|h| h.at <= instant)
            .map_or(SessionStatus::Planned, |h| h.status);
        if status_then != SessionStatus::InProgress || sess.status == SessionStatus::Submitted {
            return Err(refused(Error::WrongStatus {
                session: sess.id.to_string(),
                status: status_then.to_string(),
                needed: "InProgress at the scan's instant".into(),
                needed_nl: "InProgress (in uitvoering) op het tijdstip van de scan".into(),
                rule: "ATT-4".into(),
            }));
        }
        let (who, _, rec) = then.who(sess, &scan.person, &scan.token).map_err(refused)?;
        let params = params_for(self.s, &sess.project, sess.timing.date);
        let clock_suspect = scan.clock_suspect(batch.sync_at, params.offline_clock_skew_minutes);
        let key = (sess.id.clone(), who.clone());
        let now = *presence.entry(key.clone()).or_insert_with(|| Presence {
            open: rec.present_since.map(|(t, _, _)| (t, rec.present_clock_suspect)),
            last_out: rec.intervals.iter().map(|i| i.check_out).max(),
            from_batch: false,
        });
        let conflict = |e: Error| (ScanStatus::Conflicting, e);
        let next = match scan.kind {
            ScanKind::CheckIn => {
                if let Some((since, _)) = now.open {
                    return Err(conflict(Error::AlreadyPresent {
                        person: who.to_string(),
                        since: hm(since),
                    }));
                }
                let from = params.check_in_from(sess.timing.start_at);
                if let Some(out) = now.last_out.filter(|out| instant < *out) {
                    // Registered online meanwhile, later than this scan: not rewritten.
                    return Err(conflict(Error::RegisteredMeanwhile {
                        person: who.to_string(),
                        until: hm(out),
                    }));
                }
                if instant < from || instant > sess.timing.end_at {
                    return Err(refused(Error::check_in_window(instant, from, sess.timing.end_at)));
                }
                Presence {
                    open: Some((instant, clock_suspect)),
                    last_out: now.last_out,
                    from_batch: true,
                }
            }
            ScanKind::CheckOut => {
                let Some((since, _)) = now.open else {
                    return Err(conflict(Error::NotPresent {
                        person: who.to_string(),
                    }));
                };
                let until = params.check_out_until(sess.timing.end_at);
                if instant < since {
                    return Err(conflict(Error::CheckOutOutsideWindow {
                        at: local_text(instant),
                        from: hm(since),
                        until: hm(until),
                    }));
                }
                if instant > until {
                    return Err(refused(Error::CheckOutOutsideWindow {
                        at: local_text(instant),
                        from: hm(since),
                        until: hm(until),
                    }));
                }
                Presence {
                    open: None,
                    last_out: Some(instant),
                    from_batch: false,
                }
            }
        };
        presence.insert(key, next);
        Ok(Event::OfflineScanApplied {
            session: sess.id.clone(),
            person: who,
            kind: scan.kind,
            time: instant,
            device: device.id.clone(),
            seq: scan.seq,
            clock_suspect,
        })
    }
}
