//! Attendance: rules ATT-1 (check-in and check-out, by scan or by hand), ATT-2 (their windows),
//! ATT-3 (already present; several intervals), ATT-4 (participants of the session, by its
//! trainers or the promoter, while in progress), ATT-5 (explicit absence), QR-2 (tokens
//! verified) and DL-1 / DL-2 (on the training day, or late inside a correction window).

use super::Cx;
use super::*;
use crate::session::ParticipantRecord;

impl<'a> Cx<'a> {
    pub(super) fn check_in(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::CheckIn {
            session,
            person,
            token,
            time,
        } = c
        else {
            return Err(mismatch());
        };
        let s = self.s;
        let (sess, p) = self.session(session, Need::Run)?;
        self.az.check_runner(sess, p)?;
        let (who, method, rec) = self.who(sess, person, token)?;
        let time = self.registered_time(*time)?;
        let late = self.registration(sess)?;
        let params = params_for(s, &sess.project, sess.timing.date);
        let from = params.check_in_from(sess.timing.start_at);
        let until = sess.timing.end_at;
        if let Some((since, _, _)) = rec.present_since {
            return Err(Error::AlreadyPresent {
                person: who.to_string(),
                since: hm(since),
            });
        }
        let from = rec
            .intervals
            .iter()
            .map(|i| i.check_out)
            .max()
            .map_or(from, |last| last.max(from));
        if time < from || time > until {
            return Err(Error::check_in_window(time, from, until));
        }
        Ok(vec![Event::CheckedIn {
            session: session.clone(),
            person: who,
            time,
            method,
            late,
        }])
    }

    pub(super) fn check_out(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::CheckOut {
            session,
            person,
            token,
            time,
        } = c
        else {
            return Err(mismatch());
        };
        let s = self.s;
        let (sess, p) = self.session(session, Need::Run)?;
        self.az.check_runner(sess, p)?;
        let (who, method, rec) = self.who(sess, person, token)?;
        let time = self.registered_time(*time)?;
        let late = self.registration(sess)?;
        let Some((since, _, _)) = rec.present_since else {
            return Err(Error::NotPresent {
                person: who.to_string(),
            });
        };
        let params = params_for(s, &sess.project, sess.timing.date);
        let until = params.check_out_until(sess.timing.end_at);
        if time < since || time > until {
            return Err(Error::CheckOutOutsideWindow {
                at: local_text(time),
                from: hm(since),
                until: hm(until),
            });
        }
        Ok(vec![Event::CheckedOut {
            session: session.clone(),
            person: who,
            time,
            method,
            late,
        }])
    }

    pub(super) fn mark_absent(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::MarkAbsent { session, person } = c else {
            return Err(mismatch());
        };
        let (sess, p) = self.session(session, Need::Run)?;
        self.az.check_runner(sess, p)?;
        let rec = sess.participants.get(person).ok_or_else(|| Error::NotParticipant {
            person: person.to_string(),
            session: session.to_string(),
        })?;
        if matches!(sess.status, SessionStatus::Planned) {
            return Err(wrong_status(
                sess,
                ("InProgress", "InProgress (in uitvoering)"),
                "ATT-5",
            ));
        }
        self.registration(sess)?;
        if rec.has_attendance() {
            return Err(Error::HasAttendance {
                person: person.to_string(),
                session: session.to_string(),
            });
        }
        Ok(vec![Event::MarkedAbsent {
            session: session.clone(),
            person: person.clone(),
        }])
    }

    /// Who is registered, by hand or by token (QR-2, ATT-4).
    pub(super) fn who<'s>(
        &self,
        sess: &'s Session,
        person: &Option<PersonId>,
        token: &Option<String>,
    ) -> Result<(PersonId, Method, &'s ParticipantRecord), Error> {
        let (who, method) = match (person, token) {
            (Some(p), None) => (p.clone(), Method::Manual),
            (None, Some(t)) => {
                let (here, p) = self.keys.verify_with(t, |project, person| {
                    (project == sess.project.as_str(), PersonId::new(person))
                })?;
                if !here {
                    return Err(Error::TokenOtherProject);
                }
                (p, Method::Scan)
            }
            _ => {
                return Err(Error::invalid(
                    "give exactly one of person (by hand) or token (scan)",
                    "geef precies een van person (met de hand) of token (scan)",
                ));
            }
        };
        let Some(rec) = sess.participants.get(&who) else {
            return Err(Error::NotParticipant {
                person: who.to_string(),
                session: sess.id.to_string(),
            });
        };
        Ok((who, method, rec))
    }

    pub(super) fn registered_time(&self, time: Option<DateTime<Utc>>) -> Result<DateTime<Utc>, Error> {
        let time = time.unwrap_or(self.at);
        if time > self.at {
            return Err(Error::TimeInFuture {
                time: local_text(time),
                at: local_text(self.at),
            });
        }
        Ok(time)
    }

    /// May attendance of this session be registered now, and is it late (DL-1, DL-2, ATT-4)?
    pub(super) fn registration(&self, sess: &Session) -> Result<bool, Error> {
        match sess.status {
            SessionStatus::Submitted => Err(wrong_status(
                sess,
                (
                    "InProgress (or Executed inside a correction window)",
                    "InProgress (of Executed binnen een correctievenster)",
                ),
                "SES-5",
            )),
            SessionStatus::InProgress if self.today == sess.timing.date => Ok(false),
            SessionStatus::InProgress | SessionStatus::Executed if sess.in_correction_window(self.at) => Ok(true),
            _ if self.today > sess.timing.date => Err(Error::RegistrationClosed {
                session: sess.id.to_string(),
                date: sess.timing.date,
                deadline: local_text(deadline(self.s, sess)),
            }),
            _ => Err(wrong_status(
                sess,
                ("InProgress", "InProgress (in uitvoering)"),
                "ATT-4",
            )),
        }
    }
}
