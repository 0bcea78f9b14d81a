//! Deadlines and corrections: rules DL-2 (a problem report by 10:00 of the next working day;
//! correction windows granted by ESF support after an on-time report) and SES-5 (submitted
//! sessions are immutable until support reopens them; the promoter then corrects attendance).

use super::Cx;
use super::*;

impl<'a> Cx<'a> {
    pub(super) fn report_problem(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::ReportProblem { session, description } = c else {
            return Err(mismatch());
        };
        let s = self.s;
        let (sess, p) = self.session(session, Need::Edit)?;
        self.az.check_editor(Some(sess), p)?;
        if sess.status == SessionStatus::Submitted {
            return Err(wrong_status(
                sess,
                ("not Submitted", "niet Submitted (niet ingediend)"),
                "SES-5",
            ));
        }
        let dl = deadline(s, sess);
        if self.at > dl {
            return Err(Error::ProblemReportTooLate {
                session: session.to_string(),
                deadline: local_text(dl),
            });
        }
        Ok(vec![Event::ProblemReported {
            session: session.clone(),
            description: description.clone(),
        }])
    }

    pub(super) fn grant_correction_window(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::GrantCorrectionWindow { session, from, until } = c else {
            return Err(mismatch());
        };
        self.az.require_support()?;
        let (sess, _) = self.session(session, Need::Support)?;
        if sess.status == SessionStatus::Submitted {
            return Err(wrong_status(
                sess,
                (
                    "not Submitted (reopen it first)",
                    "niet Submitted (laat ze eerst heropenen)",
                ),
                "SES-5",
            ));
        }
        if sess.problem_reported_at.is_none() {
            return Err(Error::NoProblemReport {
                session: session.to_string(),
            });
        }
        if until <= from {
            return Err(Error::InvalidCorrectionWindow);
        }
        Ok(vec![Event::CorrectionWindowGranted {
            session: session.clone(),
            from: *from,
            until: *until,
        }])
    }

    pub(super) fn reopen_session(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::ReopenSession { session } = c else {
            return Err(mismatch());
        };
        self.az.require_support()?;
        let (sess, _) = self.session(session, Need::Support)?;
        if sess.status != SessionStatus::Submitted {
            return Err(wrong_status(sess, ("Submitted", "Submitted (ingediend)"), "SES-5"));
        }
        Ok(vec![Event::SessionReopened {
            session: session.clone(),
        }])
    }

    pub(super) fn correct_attendance(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::CorrectAttendance {
            session,
            person,
            intervals,
        } = c
        else {
            return Err(mismatch());
        };
        let (sess, p) = self.session(session, Need::Edit)?;
        self.az.check_editor(Some(sess), p)?;
        if !(sess.reopened && sess.status == SessionStatus::Executed) {
            return Err(wrong_status(
                sess,
                (
                    "Executed after a reopening by ESF support",
                    "Executed na heropening door ESF-support",
                ),
                "SES-5",
            ));
        }
        if !sess.participants.contains_key(person) {
            return Err(Error::NotParticipant {
                person: person.to_string(),
                session: session.to_string(),
            });
        }
        let intervals = self.corrected_intervals(sess, intervals)?;
        Ok(vec![Event::AttendanceCorrected {
            session: session.clone(),
            person: person.clone(),
            intervals,
        }])
    }

    pub(super) fn corrected_intervals(&self, sess: &Session, input: &[IntervalInput]) -> Result<Vec<Interval>, Error> {
        let params = params_for(self.s, &sess.project, sess.timing.date);
        let from = params.check_in_from(sess.timing.start_at);
        let until = params.check_out_until(sess.timing.end_at);
        let mut v: Vec<&IntervalInput> = input.iter().collect();
        v.sort_by_key(|i| i.check_in);
        let mut prev = from;
        let mut out = Vec::with_capacity(v.len());
        for i in v {
            if i.check_in < prev || i.check_in > sess.timing.end_at {
                return Err(Error::check_in_window(i.check_in, prev, sess.timing.end_at));
            }
            if i.check_out < i.check_in || i.check_out > until {
                return Err(Error::CheckOutOutsideWindow {
                    at: local_text(i.check_out),
                    from: hm(i.check_in),
                    until: hm(until),
                });
            }
            prev = i.check_out;
            out.push(Interval {
                check_in: i.check_in,
                check_out: i.check_out,
                check_in_method: Method::Correction,
                check_out_method: Method::Correction,
                late: false,
                clock_suspect: false,
            });
        }
        Ok(out)
    }
}
