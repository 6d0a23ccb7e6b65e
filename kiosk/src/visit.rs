//! One client's visit at the kiosk as a pure state machine: which screen is showing, which
//! standards are still to be asked, and which answer must be stored before the flow moves on.
//!
//! No UI, timers or IO here. Taps, physical buttons and `kiosk simulate` all drive the same
//! methods; a method that returns an [`Answer`] expects [`Visit::stored`] once it is durable, and
//! until then every other rating is ignored.

use std::sync::Arc;

use model::{
    Catalogue, InputKind, LanguageTag, Question, Rateability, RatingRecord, ReasonCode, RecordId,
    Score, StandardId, VisitId,
};

use crate::config::DeskSurvey;
use crate::store::Answer;

/// What the client sees now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Four faces for the overall rating.
    Home,
    /// "Thank you. Tell us more?"; `can_change_answer` while the correction window is open.
    AskMore { can_change_answer: bool },
    /// The faces again, to correct the overall rating.
    ChangeAnswer,
    /// One standard's question.
    Question { standard: StandardId },
    /// Reasons after a low score on `standard`; the choice is stored as a record superseding
    /// `scored` (the low score itself is already durable).
    Reasons {
        standard: StandardId,
        scored: RecordId,
        score: Score,
        selected: Vec<ReasonCode>,
    },
    /// Final thanks.
    ThankYou,
}

/// The answer in flight to the recorder, and where the flow goes once it is durable.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    Overall,
    Standard {
        standard: StandardId,
        answer: model::Answer,
    },
    Reasons {
        standard: StandardId,
        then_finish: bool,
    },
}

/// The state of the kiosk between and during visits.
#[derive(Debug, Clone)]
pub struct Visit {
    survey: Arc<DeskSurvey>,
    catalogue: Catalogue,
    step: Step,
    language: LanguageTag,
    larger_text: bool,
    visit_id: VisitId,
    overall: Option<RecordId>,
    /// Standards answered or skipped in this visit.
    done: Vec<StandardId>,
    pending: Option<Pending>,
}

impl Visit {
    pub fn new(survey: Arc<DeskSurvey>) -> Visit {
        Visit {
            language: survey.default_language.clone(),
            survey,
            catalogue: Catalogue::ordinance_4216_2018(),
            step: Step::Home,
            larger_text: false,
            visit_id: VisitId::new_random(),
            overall: None,
            done: Vec::new(),
            pending: None,
        }
    }

    pub fn step(&self) -> &Step {
        &self.step
    }

    pub fn language(&self) -> &LanguageTag {
        &self.language
    }

    pub fn larger_text(&self) -> bool {
        self.larger_text
    }

    pub fn survey(&self) -> &DeskSurvey {
        &self.survey
    }

    /// True while an answer is on its way to disk: the faces do nothing meanwhile.
    pub fn is_recording(&self) -> bool {
        self.pending.is_some()
    }

    /// True when a client is mid-visit or has changed language or text size: idle time matters.
    pub fn is_in_use(&self) -> bool {
        self.step != Step::Home || self.language != self.survey.default_language || self.larger_text
    }

    /// The standards this client will be asked, in the desk's order, for the language chosen.
    pub fn questions(&self) -> Vec<StandardId> {
        self.survey
            .standards
            .iter()
            .copied()
            .filter(|&id| match self.catalogue.standard(id).rateability {
                Rateability::Clients => true,
                Rateability::ForeignLanguageClients => !self.language.is_polish(),
                Rateability::InternalServiceDesks => self.survey.internal_service,
                Rateability::Never => false,
            })
            .collect()
    }

    /// "Question n of m" on the question screen.
    pub fn progress(&self) -> Option<(usize, usize)> {
        let Step::Question { standard } = self.step else {
            return None;
        };
        let questions = self.questions();
        let number = questions.iter().position(|&id| id == standard)? + 1;
        Some((number, questions.len()))
    }

    /// Whether the question on screen offers "does not apply": a standard's question that
    /// assumes a contact the client may not have had (`Standard::may_not_apply`).
    pub fn offers_not_applicable(&self) -> bool {
        match self.step {
            Step::Question { standard } => self.catalogue.standard(standard).may_not_apply,
            _ => false,
        }
    }

    /// A face was chosen (touch or button) for the question on screen.
    pub fn rate(&mut self, score: Score, input: InputKind) -> Option<Answer> {
        self.give(model::Answer::Score(score), input)
    }

    /// "Does not apply" on a standard's question that offers it: recorded as its own answer
    /// (unlike Skip, which records nothing), with no reasons; the next question follows once it
    /// is durable. The overall rating and the other standards do not offer it.
    pub fn not_applicable(&mut self, input: InputKind) -> Option<Answer> {
        if !self.offers_not_applicable() {
            return None;
        }
        self.give(model::Answer::NotApplicable, input)
    }

    fn give(&mut self, given: model::Answer, input: InputKind) -> Option<Answer> {
        if self.pending.is_some() {
            return None;
        }
        let (question, supersedes, pending) = match (self.step.clone(), given) {
            (Step::Home, model::Answer::Score(_)) => {
                self.visit_id = VisitId::new_random();
                self.overall = None;
                self.done.clear();
                (Question::Overall, None, Pending::Overall)
            }
            (Step::ChangeAnswer, model::Answer::Score(_)) => {
                (Question::Overall, self.overall, Pending::Overall)
            }
            (Step::Question { standard }, _) => (
                Question::Standard(standard),
                None,
                Pending::Standard {
                    standard,
                    answer: given,
                },
            ),
            _ => return None,
        };
        self.pending = Some(pending);
        Some(self.answer(question, given, Vec::new(), supersedes, input))
    }

    /// The answer last returned is durable: move on.
    pub fn stored(&mut self, record: &RatingRecord) {
        if record.visit_id != self.visit_id {
            return; // stored after this visit ended (idle timeout): nothing to move on from
        }
        match self.pending.take() {
            None => {}
            Some(Pending::Overall) => {
                self.overall = Some(record.id);
                self.step = Step::AskMore {
                    can_change_answer: true,
                };
            }
            Some(Pending::Standard { standard, answer }) => {
                if let model::Answer::Score(score) = answer
                    && score.is_low()
                    && !self.catalogue.standard(standard).reasons.is_empty()
                {
                    self.step = Step::Reasons {
                        standard,
                        scored: record.id,
                        score,
                        selected: Vec::new(),
                    };
                } else {
                    self.done.push(standard);
                    self.next_question();
                }
            }
            Some(Pending::Reasons {
                standard,
                then_finish,
            }) => {
                self.done.push(standard);
                self.move_on(then_finish);
            }
        }
    }

    /// "Yes, tell more" after the overall rating.
    pub fn tell_more(&mut self) {
        if matches!(self.step, Step::AskMore { .. }) && self.pending.is_none() {
            self.next_question();
        }
    }

    /// "Change my answer" while it is offered.
    pub fn change_answer(&mut self) {
        if self.step
            == (Step::AskMore {
                can_change_answer: true,
            })
            && self.pending.is_none()
        {
            self.step = Step::ChangeAnswer;
        }
    }

    /// The window for "Change my answer" has passed.
    pub fn close_change_window(&mut self) {
        if let Step::AskMore { can_change_answer } = &mut self.step {
            *can_change_answer = false;
        }
    }

    /// Skip the standard on screen.
    pub fn skip(&mut self) {
        if let Step::Question { standard } = self.step
            && self.pending.is_none()
        {
            self.done.push(standard);
            self.next_question();
        }
    }

    /// Select or unselect a reason chip; codes not of this standard are ignored.
    pub fn toggle_reason(&mut self, code: &str) {
        let catalogue = self.catalogue;
        if let Step::Reasons {
            standard, selected, ..
        } = &mut self.step
            && let Some(reason) = catalogue.standard(*standard).reason(code)
        {
            let code = reason.reason_code();
            match selected.iter().position(|c| *c == code) {
                Some(i) => {
                    selected.remove(i);
                }
                None => selected.push(code),
            }
        }
    }

    /// Done choosing reasons: stores them (if any) as a record superseding the low score.
    pub fn reasons_done(&mut self, input: InputKind) -> Option<Answer> {
        self.leave_reasons(input, false)
    }

    /// "Finish" on any screen of the visit: keeps what was answered and thanks the client.
    pub fn finish(&mut self, input: InputKind) -> Option<Answer> {
        if self.pending.is_some() {
            return None;
        }
        match self.step {
            Step::Reasons { .. } => self.leave_reasons(input, true),
            Step::AskMore { .. } | Step::Question { .. } | Step::ChangeAnswer => {
                self.step = Step::ThankYou;
                None
            }
            Step::Home | Step::ThankYou => None,
        }
    }

    /// The client chose a language (only enabled ones count).
    pub fn choose_language(&mut self, language: &LanguageTag) {
        if !self.survey.languages.contains(language) {
            return;
        }
        self.language = language.clone();
        // IX is asked only in languages other than Polish: it may have just left the list.
        if let Step::Question { standard } = self.step
            && !self.questions().contains(&standard)
        {
            self.next_question();
        }
    }

    pub fn toggle_larger_text(&mut self) {
        self.larger_text = !self.larger_text;
    }

    /// Nobody answered "Need more time?": keep everything given so far and start afresh. Returns
    /// reasons the client had selected but not confirmed, to be stored.
    pub fn end_idle(&mut self) -> Option<Answer> {
        let unconfirmed = match &self.step {
            Step::Reasons { selected, .. } if !selected.is_empty() && self.pending.is_none() => {
                self.leave_reasons(InputKind::Touch, true)
            }
            _ => None,
        };
        self.reset();
        unconfirmed
    }

    /// The thank-you has been shown long enough.
    pub fn end_thank_you(&mut self) {
        if self.step == Step::ThankYou {
            self.reset();
        }
    }

    /// Takes a new desk survey (from the aggregator) and starts afresh; the caller makes sure no
    /// client is mid-visit.
    pub fn replace_survey(&mut self, survey: Arc<DeskSurvey>) {
        self.survey = survey;
        self.reset();
    }

    /// Back to the home screen with the desk's default language and normal text.
    pub fn reset(&mut self) {
        self.step = Step::Home;
        self.language = self.survey.default_language.clone();
        self.larger_text = false;
        self.visit_id = VisitId::new_random();
        self.overall = None;
        self.done.clear();
        self.pending = None;
    }

    fn leave_reasons(&mut self, input: InputKind, then_finish: bool) -> Option<Answer> {
        if self.pending.is_some() {
            return None;
        }
        let Step::Reasons {
            standard,
            scored,
            score,
            selected,
        } = self.step.clone()
        else {
            return None;
        };
        if selected.is_empty() {
            self.done.push(standard);
            self.move_on(then_finish);
            return None;
        }
        self.pending = Some(Pending::Reasons {
            standard,
            then_finish,
        });
        Some(self.answer(
            Question::Standard(standard),
            model::Answer::Score(score),
            selected,
            Some(scored),
            input,
        ))
    }

    /// After a standard is done: the thank-you if the client chose Finish, else the next question.
    fn move_on(&mut self, then_finish: bool) {
        if then_finish {
            self.step = Step::ThankYou;
        } else {
            self.next_question();
        }
    }

    fn next_question(&mut self) {
        self.step = match self
            .questions()
            .into_iter()
            .find(|id| !self.done.contains(id))
        {
            Some(standard) => Step::Question { standard },
            None => Step::ThankYou,
        };
    }

    fn answer(
        &self,
        question: Question,
        given: model::Answer,
        reasons: Vec<ReasonCode>,
        supersedes: Option<RecordId>,
        input: InputKind,
    ) -> Answer {
        Answer {
            visit_id: self.visit_id,
            desk_id: self.survey.desk_id.clone(),
            question,
            answer: given,
            reasons,
            language: self.language.clone(),
            larger_text: self.larger_text,
            input,
            supersedes,
        }
    }
}

#[cfg(test)]
mod tests;
