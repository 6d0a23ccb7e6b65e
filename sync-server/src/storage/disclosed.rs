//! Disclosure control's decisions for the figures [`Storage`](super::Storage) hands out, and the
//! reads they are made from: every desk's counts for a period, read once per page (see
//! [`DecisionMemo`]) however many figures the page shows and decides on.

use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use model::{LanguageTag, Question, StandardId};

use super::{Backend, StorageError};
use crate::access::Scope;
use crate::analytics::{Counts, DeskCounts, Disclosure, Filter, Node, Withheld};

/// Every desk's counts per question, as [`Backend::desk_counts`] gives them.
type ByQuestion = Arc<Vec<(String, DeskCounts)>>;
/// Every desk's counts per question and language, as [`Backend::desk_language_counts`] gives them.
type ByQuestionAndLanguage = Arc<Vec<(String, String, DeskCounts)>>;

/// What the desk counts of a filter depend on: its period, language and bursts. Not its places
/// (a decision is made over every office) nor its question (all questions are read at once).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    from: NaiveDate,
    to: NaiveDate,
    language: Option<LanguageTag>,
    include_bursts: bool,
}

impl Key {
    fn of(filter: &Filter) -> Key {
        Key {
            from: filter.from,
            to: filter.to,
            language: filter.language.clone(),
            include_bursts: filter.include_bursts,
        }
    }

    /// A filter with this key's period, language and bursts, over every place and question.
    fn filter(&self, like: &Filter) -> Filter {
        Filter {
            from: self.from,
            to: self.to,
            language: self.language.clone(),
            include_bursts: self.include_bursts,
            office: None,
            department: None,
            desk: None,
            question: Question::Overall,
            ..like.clone()
        }
    }
}

/// The desk counts one page has read, by [`Key`]. A page (or report, API response, e-mail)
/// shows many figures from one filter, each decided on from the same counts: with a memo they
/// are read once. An empty memo (the default) remembers nothing: every decision reads afresh.
/// A memo must not outlive its page, or its figures would go stale.
#[derive(Clone, Default)]
pub struct DecisionMemo(Option<Arc<Mutex<Remembered>>>);

#[derive(Default)]
struct Remembered {
    by_question: Vec<(Key, ByQuestion)>,
    by_question_and_language: Vec<(Key, ByQuestionAndLanguage)>,
}

impl DecisionMemo {
    /// A memo that remembers what it reads.
    pub fn remembering() -> DecisionMemo {
        DecisionMemo(Some(Arc::default()))
    }
}

/// The backend with a page's memo: what every decision reads through.
pub(super) struct Reads<'a> {
    pub backend: &'a dyn Backend,
    pub memo: &'a DecisionMemo,
}

impl Reads<'_> {
    /// Every desk's counts for the filter's period, language and bursts, per question.
    fn desk_counts(&self, filter: &Filter) -> Result<ByQuestion, StorageError> {
        let key = Key::of(filter);
        let read = || {
            Ok(Arc::new(
                self.backend.desk_counts(&key.filter(filter), true)?,
            ))
        };
        let Some(memo) = &self.memo.0 else {
            return read();
        };
        let mut remembered = memo.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, counts)) = remembered.by_question.iter().find(|(k, _)| *k == key) {
            return Ok(Arc::clone(counts));
        }
        let counts = read()?;
        remembered.by_question.push((key, Arc::clone(&counts)));
        Ok(counts)
    }

    /// Every desk's counts per question and language, whatever the filter's language.
    fn desk_language_counts(&self, filter: &Filter) -> Result<ByQuestionAndLanguage, StorageError> {
        let key = Key {
            language: None,
            ..Key::of(filter)
        };
        let read = || {
            Ok(Arc::new(
                self.backend
                    .desk_language_counts(&key.filter(filter), true)?,
            ))
        };
        let Some(memo) = &self.memo.0 else {
            return read();
        };
        let mut remembered = memo.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, counts)) = remembered
            .by_question_and_language
            .iter()
            .find(|(k, _)| *k == key)
        {
            return Ok(Arc::clone(counts));
        }
        let counts = read()?;
        remembered
            .by_question_and_language
            .push((key, Arc::clone(&counts)));
        Ok(counts)
    }
}

/// Disclosure control's decision over every office for the filter's question (or, with
/// `every_question`, for each question), with the question it is for. With a language filter,
/// a place is withheld also when its language is withheld among its languages unfiltered (the
/// patterns page's partition), or the filtered figure would give that cell back; and so is
/// everything inside it.
pub(super) fn withheld_by_question(
    reads: &Reads<'_>,
    disclosure: Disclosure,
    filter: &Filter,
    every_question: bool,
) -> Result<Vec<(String, Withheld)>, StorageError> {
    let decided = decide_by_question(reads, disclosure, filter, every_question)?;
    let Some(language) = &filter.language else {
        return Ok(decided);
    };
    let by_language = reads.desk_language_counts(filter)?;
    let unfiltered = Filter {
        language: None,
        ..filter.clone()
    };
    let unfiltered = decide_by_question(reads, disclosure, &unfiltered, every_question)?;
    Ok(decided
        .into_iter()
        .map(|(question, mut withheld)| {
            let rows: Vec<(&str, &DeskCounts)> = by_language
                .iter()
                .filter(|(q, _, _)| *q == question)
                .map(|(_, l, d)| (l.as_str(), d))
                .collect();
            let place_withheld = unfiltered
                .iter()
                .find(|(q, _)| *q == question)
                .map(|(_, w)| w.clone())
                .unwrap_or_default();
            let places: std::collections::HashSet<Node> = rows
                .iter()
                .flat_map(|(_, d)| {
                    [
                        Node::All,
                        Node::Office(d.office_id.clone()),
                        Node::Department {
                            office: d.office_id.clone(),
                            department: d.department_id.clone(),
                        },
                        Node::Desk(d.desk_id.clone()),
                    ]
                })
                .collect();
            for node in places {
                // The place's languages as the patterns page orders them.
                let mut languages: Vec<(&str, Counts)> = Vec::new();
                for (l, d) in rows.iter().filter(|(_, d)| node.covers(d)) {
                    match languages.iter_mut().find(|(code, _)| code == l) {
                        Some((_, counts)) => counts.add(d.counts),
                        None => languages.push((l, d.counts)),
                    }
                }
                languages.sort_by(|a, b| {
                    b.1.responses()
                        .cmp(&a.1.responses())
                        .then_with(|| a.0.cmp(b.0))
                });
                let sizes: Vec<Counts> = languages.iter().map(|(_, c)| *c).collect();
                let parts = disclosure.withheld_parts(place_withheld.contains(&node), &sizes);
                let mine = languages
                    .iter()
                    .zip(parts)
                    .any(|((code, _), w)| *code == language.as_str() && w);
                if mine {
                    withheld.insert(node);
                }
            }
            // Everything inside a place withheld here is withheld too, as in `places`.
            for (_, d) in &rows {
                let office = Node::Office(d.office_id.clone());
                let department = Node::Department {
                    office: d.office_id.clone(),
                    department: d.department_id.clone(),
                };
                if withheld.contains(&Node::All) || withheld.contains(&office) {
                    withheld.insert(department.clone());
                }
                if withheld.contains(&Node::All)
                    || withheld.contains(&office)
                    || withheld.contains(&department)
                {
                    withheld.insert(Node::Desk(d.desk_id.clone()));
                }
                if withheld.contains(&Node::All) {
                    withheld.insert(office);
                }
            }
            (question, withheld)
        })
        .collect())
}

/// [`withheld_by_question`] for the filter as it is.
fn decide_by_question(
    reads: &Reads<'_>,
    disclosure: Disclosure,
    filter: &Filter,
    every_question: bool,
) -> Result<Vec<(String, Withheld)>, StorageError> {
    let counts = reads.desk_counts(filter)?;
    let mut questions: Vec<String> = if every_question {
        std::iter::once("overall".to_owned())
            .chain(StandardId::ALL.iter().map(|s| s.roman().to_owned()))
            .collect()
    } else {
        vec![filter.question.to_string()]
    };
    questions.dedup();
    Ok(questions
        .into_iter()
        .map(|question| {
            let desks: Vec<DeskCounts> = counts
                .iter()
                .filter(|(q, _)| *q == question)
                .map(|(_, d)| d.clone())
                .collect();
            let withheld = disclosure.places(&desks);
            (question, withheld)
        })
        .collect())
}

/// The counts of the place the filter's figures are about (for the filter's question), marked
/// withheld as disclosure control decides.
pub(super) fn place(
    reads: &Reads<'_>,
    disclosure: Disclosure,
    filter: &Filter,
    scope: &Scope,
) -> Result<Counts, StorageError> {
    let question = filter.question.to_string();
    let counts = reads.desk_counts(filter)?;
    let desks = counts
        .iter()
        .filter(|(q, _)| *q == question)
        .map(|(_, d)| d);
    let node = Node::of(filter, scope);
    let mut total = Counts::default();
    for desk in desks.filter(|d| node.covers(d)) {
        total.add(desk.counts);
    }
    let decided = withheld_by_question(reads, disclosure, filter, false)?;
    total.withheld = decided.iter().any(|(_, w)| w.contains(&node)) || disclosure.too_few(&total);
    Ok(total)
}
