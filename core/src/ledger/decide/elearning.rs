//! E-learning: rules EL-1 (the participant, created with a supervisor by the promoter, enters
//! their own hours with a ProjectStaff grant), EL-2 (the linked supervisor approves or rejects;
//! never the person who entered them) and EL-3 (approved entries are immutable, rejected ones
//! are corrected, no future dates, daily caps, no overlaps).

use super::Cx;
use super::*;

impl<'a> Cx<'a> {
    pub(super) fn create_elearning_participant(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::CreateElearningParticipant {
            project,
            person,
            supervisor,
        } = c
        else {
            return Err(mismatch());
        };
        let p = self.project_for_edit(project)?;
        self.az.check_editor(None, p)?;
        self.person(person)?;
        self.person(supervisor)?;
        if person == supervisor {
            return Err(Error::SelfApproval);
        }
        Ok(vec![Event::ElearningParticipantCreated {
            project: project.clone(),
            person: person.clone(),
            supervisor: supervisor.clone(),
        }])
    }

    pub(super) fn enter_elearning_hours(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::EnterElearningHours { entry, training, input } = c else {
            return Err(mismatch());
        };
        let s = self.s;
        let me = self.az.person().ok_or_else(|| Error::access(staff(), "EL-1"))?;
        let t = s.trainings.get(training);
        let p = t.and_then(|t| s.projects.get(&t.project));
        let (Some(t), Some(p)) = (t, p) else {
            return Err(self.az.deny(None, &[Role::ProjectStaff], staff()));
        };
        if !self.az.sees_project(p) {
            return Err(self.az.deny(Some(p), &[Role::ProjectStaff], staff()));
        }
        if t.kind != TrainingKind::ELearning {
            return Err(Error::NotElearning {
                reason: format!(
                    "training {} is a classroom training; hours are entered only for e-learning",
                    t.code
                ),
                reason_nl: format!(
                    "opleiding {} is een klassikale opleiding; uren worden enkel voor e-learning ingegeven",
                    t.code
                ),
            });
        }
        if !s.elearning_links.get(&p.id).is_some_and(|m| m.contains_key(me)) {
            return Err(Error::NotElearning {
                reason: format!(
                    "you are not an e-learning participant of project {}: the promoter must first create you with your supervisor",
                    p.number
                ),
                reason_nl: format!(
                    "u bent geen e-learningdeelnemer van project {}: de promotor moet u eerst aanmaken met uw leidinggevende",
                    p.number
                ),
            });
        }
        self.require_role_in(
            p,
            Role::ProjectStaff,
            txt(
                "a valid ProjectStaff grant for the project's organisation",
                "een geldig recht ProjectStaff voor de organisatie van het project",
            ),
        )?;
        if s.entries.contains_key(entry) {
            return Err(exists(Entity::Entry, entry.as_str()));
        }
        self.check_entry(me, p, input, None)?;
        Ok(vec![Event::ElearningHoursEntered {
            entry: Entry {
                id: entry.clone(),
                person: me.clone(),
                project: p.id.clone(),
                training: training.clone(),
                date: input.date,
                minutes: input.minutes,
                start: input.start,
                end: input.end,
                status: EntryStatus::Pending,
                rejection_reason: None,
                decided_by: None,
            },
        }])
    }

    pub(super) fn correct_elearning_entry(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::CorrectElearningEntry { entry, input } = c else {
            return Err(mismatch());
        };
        let (e, p) = self.entry(entry)?;
        let me = self.az.person();
        if me != Some(&e.person) {
            return Err(Error::access(
                txt(
                    "to be the participant who entered the hours",
                    "de deelnemer zijn die de uren ingaf",
                ),
                "EL-1",
            ));
        }
        if e.status != EntryStatus::Rejected {
            return Err(Error::EntryStatus {
                entry: entry.to_string(),
                status: e.status.to_string(),
                needed: "Rejected".into(),
                needed_nl: "Rejected (afgekeurd)".into(),
            });
        }
        self.require_role_in(
            p,
            Role::ProjectStaff,
            txt(
                "a valid ProjectStaff grant for the project's organisation",
                "een geldig recht ProjectStaff voor de organisatie van het project",
            ),
        )?;
        self.check_entry(&e.person, p, input, Some(entry))?;
        Ok(vec![Event::ElearningEntryCorrected {
            entry: entry.clone(),
            input: input.clone(),
        }])
    }

    pub(super) fn decide_on_entry(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let (Command::ApproveElearningEntry { entry } | Command::RejectElearningEntry { entry, .. }) = c else {
            return Err(mismatch());
        };
        let s = self.s;
        let (e, p) = self.entry(entry)?;
        let me = self.az.person();
        if me == Some(&e.person) {
            return Err(Error::SelfApproval);
        }
        let linked = s.elearning_links.get(&p.id).and_then(|m| m.get(&e.person));
        if me.is_none() || linked != me {
            return Err(Error::access(linked_supervisor(), "EL-2"));
        }
        self.require_role_in(
            p,
            Role::Supervisor,
            txt(
                "a valid Supervisor grant for the project's organisation",
                "een geldig recht Supervisor voor de organisatie van het project",
            ),
        )?;
        if e.status != EntryStatus::Pending {
            return Err(Error::EntryStatus {
                entry: entry.to_string(),
                status: e.status.to_string(),
                needed: "Pending".into(),
                needed_nl: "Pending (wacht op goedkeuring)".into(),
            });
        }
        Ok(vec![match c {
            Command::RejectElearningEntry { reason, .. } => Event::ElearningEntryRejected {
                entry: entry.clone(),
                reason: reason.clone(),
            },
            _ => Event::ElearningEntryApproved { entry: entry.clone() },
        }])
    }

    pub(super) fn entry(&self, id: &EntryId) -> Result<(&'a Entry, &'a Project), Error> {
        let needed = || {
            txt(
                "to be the participant or the supervisor linked to them",
                "de deelnemer zijn of de leidinggevende die aan hem gekoppeld is",
            )
        };
        let found = self
            .s
            .entries
            .get(id)
            .and_then(|e| Some((e, self.s.projects.get(&e.project)?)));
        let sees = |e: &Entry, p: &Project| {
            let me = self.az.person();
            let linked = self.s.elearning_links.get(&p.id).and_then(|m| m.get(&e.person));
            self.may_know_everything()
                || me == Some(&e.person)
                || (me.is_some() && linked == me)
                || self.az.standing(p) == Some(Standing::Promoter)
        };
        match found {
            Some((e, p)) if sees(e, p) => Ok((e, p)),
            None if self.may_know_everything() => Err(unknown(Entity::Entry, id.as_str())),
            // Whoever may not see it gets the answer a missing entry gets (ACC-6).
            _ => Err(Error::access(needed(), "ACC-6")),
        }
    }

    /// EL-1, EL-3: valid input, not in the future, within the daily caps, no overlap.
    pub(super) fn check_entry(
        &self,
        person: &PersonId,
        p: &Project,
        input: &EntryInput,
        except: Option<&EntryId>,
    ) -> Result<(), Error> {
        input.validate()?;
        if input.date > self.today {
            return Err(Error::FutureEntry {
                date: input.date,
                today: self.today,
            });
        }
        let params = params_for(self.s, &p.id, input.date);
        let classroom: Vec<(DateTime<Utc>, DateTime<Utc>, String)> = self
            .s
            .sessions_of_person_on(person, input.date)
            .flat_map(|sess| {
                sess.participants
                    .get(person)
                    .into_iter()
                    .flat_map(|rec| rec.intervals.iter())
                    .map(move |i| (i.check_in, i.check_out, format!("attendance in session {}", sess.id)))
            })
            .collect();
        let others: Vec<&Entry> = self
            .s
            .entries_of_person_on(person, input.date)
            .filter(|e| Some(&e.id) != except && e.status != EntryStatus::Rejected)
            .collect();
        // Saturating sums: the day's minutes are compared with at most 24 hours.
        let minutes: i64 = classroom
            .iter()
            .map(|(a, b, _)| b.signed_duration_since(*a).num_minutes())
            .chain(others.iter().map(|e| i64::from(e.minutes)))
            .fold(i64::from(input.minutes), i64::saturating_add);
        let total = crate::subsidy::seconds_as_hours(minutes.saturating_mul(60));
        let cap = params
            .max_participant_hours_per_day
            .map_or(Decimal::from(24), |c| c.min(Decimal::from(24)));
        if total > cap {
            return Err(Error::DailyHoursExceeded {
                date: input.date,
                total: total.round_dp(2).normalize(),
                cap: cap.normalize(),
            });
        }
        if let (Some(st), Some(en)) = (input.start, input.end) {
            let a = brussels_instant(input.date, st)?;
            let b = brussels_instant(input.date, en)?;
            for (x, y, what) in &classroom {
                if *x < b && a < *y {
                    return Err(Error::EntryOverlap {
                        other: what.clone(),
                        from: hm(*x),
                        until: hm(*y),
                    });
                }
            }
            for e in others {
                if let (Some(es), Some(ee)) = (e.start, e.end)
                    && es < en
                    && st < ee
                {
                    return Err(Error::EntryOverlap {
                        other: format!("e-learning entry {}", e.id),
                        from: es.format("%H:%M").to_string(),
                        until: ee.format("%H:%M").to_string(),
                    });
                }
            }
        }
        Ok(())
    }
}

fn staff() -> Text {
    txt(
        "a valid ProjectStaff grant for the training's project",
        "een geldig recht ProjectStaff voor het project van de opleiding",
    )
}

fn linked_supervisor() -> Text {
    txt(
        "to be the supervisor linked to this participant",
        "de leidinggevende zijn die aan deze deelnemer gekoppeld is",
    )
}
