//! MLP profiles: rules MLP-1 (the known ESF+ indicator fields and their values, host fields
//! under `x_`) and ORG-4 (a partner sets profiles only of the participants of its own
//! sessions).

use super::Cx;
use super::*;

impl<'a> Cx<'a> {
    pub(super) fn set_mlp_profile(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::SetMlpProfile {
            project,
            person,
            fields,
        } = c
        else {
            return Err(mismatch());
        };
        let s = self.s;
        let p = self.project_for_edit(project)?;
        if let Standing::Partner(own) = self.az.check_editor(None, p)? {
            // ORG-4: a partner keeps the profiles of its own sessions' participants only; a
            // person in the promoter's sessions only and a person in none get the same answer.
            let ours = s
                .sessions_of_person(person)
                .any(|x| x.project == p.id && x.owner == own);
            if !ours {
                return Err(Error::access(
                    txt(
                        "to be the organisation that planned a session of this participant (a partner keeps only its own participants' profiles)",
                        "de organisatie zijn die een sessie van deze deelnemer plande (een partner beheert enkel de profielen van zijn eigen deelnemers)",
                    ),
                    "ORG-4",
                ));
            }
        }
        let participant = s.qr_sent.get(project).is_some_and(|x| x.contains(person))
            || s.elearning_links.get(project).is_some_and(|x| x.contains_key(person));
        if !participant {
            return Err(Error::InvalidMlpField {
                field: "person".into(),
                reason: format!("{person} is not a participant of project {}", p.number),
                reason_nl: format!("{person} is geen deelnemer van project {}", p.number),
            });
        }
        for (k, v) in fields {
            crate::mlp::validate_field(k, v)?;
        }
        Ok(vec![Event::MlpProfileSet {
            person: person.clone(),
            fields: fields.clone(),
        }])
    }
}
