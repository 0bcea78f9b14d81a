//! Sessions: rules SES-1 (planned in local time within one day, with breaks), SES-2 (no overlap
//! within a training or for a trainer), SES-3 (the status machine: started on its day, closed,
//! submitted by the promoter only), SES-4 (deleted only without attendance), SES-6 (closing
//! checks everyone out), QR-1 (the first addition to a project sends a QR code), QR-3
//! (participants added while planned or in progress) and ORG-4 (a partner plans and edits
//! only its own sessions; only the promoter submits).

use super::Cx;
use super::*;

impl<'a> Cx<'a> {
    pub(super) fn plan_session(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::PlanSession {
            session,
            training,
            date,
            start,
            end,
            trainers,
            participants,
            location,
            breaks,
        } = c
        else {
            return Err(mismatch());
        };
        let s = self.s;
        let (t, p) = self.training_for_edit(training)?;
        let owner = match self.az.check_editor(None, p)? {
            Standing::Promoter => p.promoter.clone(),
            Standing::Partner(o) => o,
        };
        if t.kind != TrainingKind::Classroom {
            return Err(Error::InvalidSessionTimes {
                reason: format!("training {} is an e-learning training; it has no sessions (EL-1)", t.id),
                reason_nl: format!(
                    "opleiding {} is een e-learningopleiding; die heeft geen sessies (EL-1)",
                    t.id
                ),
            });
        }
        if s.sessions.contains_key(session) {
            return Err(exists(Entity::Session, session.as_str()));
        }
        let timing = Timing::new(*date, *start, *end, breaks.clone())?;
        self.check_training_free(training, &timing, None)?;
        let trainers = self.persons_set(trainers)?;
        self.check_trainers_free(&trainers, &timing, None)?;
        let participants = self.persons_set(participants)?;
        let mut ev = vec![Event::SessionPlanned {
            session: session.clone(),
            project: p.id.clone(),
            training: training.clone(),
            owner,
            timing,
            location: location.clone(),
            trainers,
            participants: participants.clone(),
        }];
        ev.extend(self.qr_effects(&p.id, participants.iter()));
        Ok(ev)
    }

    pub(super) fn reschedule_session(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::RescheduleSession {
            session,
            date,
            start,
            end,
            breaks,
        } = c
        else {
            return Err(mismatch());
        };
        let (sess, p) = self.session(session, Need::Edit)?;
        self.az.check_editor(Some(sess), p)?;
        if sess.status != SessionStatus::Planned {
            return Err(wrong_status(sess, ("Planned", "Planned (gepland)"), "SES-3"));
        }
        let timing = Timing::new(*date, *start, *end, breaks.clone())?;
        self.check_training_free(&sess.training, &timing, Some(session))?;
        self.check_trainers_free(&sess.trainers, &timing, Some(session))?;
        Ok(vec![Event::SessionRescheduled {
            session: session.clone(),
            timing,
        }])
    }

    pub(super) fn assign_trainers(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::AssignTrainers { session, trainers } = c else {
            return Err(mismatch());
        };
        let (sess, p) = self.session(session, Need::Edit)?;
        self.az.check_editor(Some(sess), p)?;
        if !matches!(sess.status, SessionStatus::Planned | SessionStatus::InProgress) {
            return Err(wrong_status(
                sess,
                (
                    "Planned or InProgress",
                    "Planned of InProgress (gepland of in uitvoering)",
                ),
                "SES-3",
            ));
        }
        let trainers = self.persons_set(trainers)?;
        self.check_trainers_free(&trainers, &sess.timing, Some(session))?;
        Ok(vec![Event::TrainersAssigned {
            session: session.clone(),
            trainers,
        }])
    }

    pub(super) fn delete_session(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::DeleteSession { session } = c else {
            return Err(mismatch());
        };
        let (sess, p) = self.session(session, Need::Edit)?;
        self.az.check_editor(Some(sess), p)?;
        if sess.has_attendance() {
            return Err(Error::SessionHasAttendance {
                session: session.to_string(),
            });
        }
        if sess.status != SessionStatus::Planned {
            return Err(wrong_status(sess, ("Planned", "Planned (gepland)"), "SES-4"));
        }
        Ok(vec![Event::SessionDeleted {
            session: session.clone(),
        }])
    }

    pub(super) fn add_participant(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::AddParticipant { session, person } = c else {
            return Err(mismatch());
        };
        let (sess, p) = self.session(session, Need::Edit)?;
        self.az.check_editor(Some(sess), p)?;
        if !matches!(sess.status, SessionStatus::Planned | SessionStatus::InProgress) {
            return Err(wrong_status(
                sess,
                (
                    "Planned or InProgress",
                    "Planned of InProgress (gepland of in uitvoering)",
                ),
                "QR-3",
            ));
        }
        self.person(person)?;
        if sess.participants.contains_key(person) {
            return Err(Error::AlreadyParticipant {
                person: person.to_string(),
                session: session.to_string(),
            });
        }
        let mut ev = vec![Event::ParticipantAdded {
            session: session.clone(),
            person: person.clone(),
        }];
        ev.extend(self.qr_effects(&p.id, std::iter::once(person)));
        Ok(ev)
    }

    pub(super) fn start_session(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::StartSession { session } = c else {
            return Err(mismatch());
        };
        let (sess, p) = self.session(session, Need::Run)?;
        self.az.check_runner(sess, p)?;
        if sess.status != SessionStatus::Planned {
            return Err(wrong_status(sess, ("Planned", "Planned (gepland)"), "SES-3"));
        }
        if self.today != sess.timing.date && !sess.in_correction_window(self.at) {
            return Err(Error::NotSessionDay {
                session: session.to_string(),
                date: sess.timing.date,
                today: self.today,
            });
        }
        Ok(vec![Event::SessionStarted {
            session: session.clone(),
        }])
    }

    pub(super) fn close_session(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::CloseSession { session } = c else {
            return Err(mismatch());
        };
        let (sess, p) = self.session(session, Need::Run)?;
        self.az.check_runner(sess, p)?;
        if sess.status != SessionStatus::InProgress {
            return Err(wrong_status(
                sess,
                ("InProgress", "InProgress (in uitvoering)"),
                "SES-3",
            ));
        }
        // SES-6: everyone still present leaves at the close, never past the planned end.
        let out = self.at.min(sess.timing.end_at);
        let mut ev: Vec<Event> = sess
            .participants
            .iter()
            .filter_map(|(person, rec)| {
                rec.present_since.map(|(since, _, late)| Event::CheckedOut {
                    session: session.clone(),
                    person: person.clone(),
                    time: out.max(since),
                    method: Method::ClosedByTrainer,
                    late,
                })
            })
            .collect();
        ev.push(Event::SessionClosed {
            session: session.clone(),
        });
        Ok(ev)
    }

    pub(super) fn submit_session(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::SubmitSession { session } = c else {
            return Err(mismatch());
        };
        let (sess, p) = self.session(session, Need::Edit)?;
        match self.az.standing(p) {
            Some(Standing::Promoter) => {}
            Some(Standing::Partner(_)) => {
                return Err(Error::access(submitter(), "ORG-4"));
            }
            None => {
                return Err(self.az.deny(Some(p), &[Role::OrganisationResponsible], submitter()));
            }
        }
        if sess.status != SessionStatus::Executed {
            return Err(wrong_status(sess, ("Executed", "Executed (uitgevoerd)"), "SES-3"));
        }
        Ok(vec![Event::SessionSubmitted {
            session: session.clone(),
        }])
    }

    pub(super) fn check_training_free(
        &self,
        training: &TrainingId,
        t: &Timing,
        except: Option<&SessionId>,
    ) -> Result<(), Error> {
        if let Some((other, os, oe)) = self
            .s
            .idx
            .training_sessions
            .overlapping(training, t.start_at, t.end_at, except)
        {
            return Err(Error::TrainingOverlap {
                other: other.to_string(),
                other_start: hm(os),
                other_end: hm(oe),
            });
        }
        Ok(())
    }

    pub(super) fn check_trainers_free(
        &self,
        trainers: &BTreeSet<PersonId>,
        t: &Timing,
        except: Option<&SessionId>,
    ) -> Result<(), Error> {
        for tr in trainers {
            if let Some((other, os, oe)) = self
                .s
                .idx
                .trainer_sessions
                .overlapping(tr, t.start_at, t.end_at, except)
            {
                return Err(Error::TrainerOverlap {
                    trainer: tr.to_string(),
                    other: other.to_string(),
                    other_start: hm(os),
                    other_end: hm(oe),
                });
            }
        }
        Ok(())
    }

    /// QR-1: a "send QR code" effect for each person new to the project.
    pub(super) fn qr_effects<'p>(&self, project: &ProjectId, people: impl Iterator<Item = &'p PersonId>) -> Vec<Event> {
        let sent = self.s.qr_sent.get(project);
        people
            .filter(|p| !sent.is_some_and(|s| s.contains(*p)))
            .map(|p| Event::QrCodeToSend {
                person: p.clone(),
                project: project.clone(),
            })
            .collect()
    }
}

fn submitter() -> Text {
    txt(
        "a valid OrganisationResponsible grant of the promoter organisation: only the promoter submits",
        "een geldig recht OrganisationResponsible van de promotororganisatie: enkel de promotor dient in",
    )
}
