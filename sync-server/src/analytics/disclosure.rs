//! Disclosure control: the one rule every figure the server shows goes through (pages, the
//! stats API, monthly reports and their CSV, the aggregate export, alert e-mails). No figure
//! comes from fewer than `k` answers (`[privacy] min_responses`, 5 unless raised), and no such
//! cell can be recovered by subtraction: wherever cells add up to a total that is shown
//! elsewhere (an office and its departments, a department and its desks, a period and its weeks,
//! all answers and their languages), the statistical offices' secondary suppression withholds
//! further cells, smallest first, until the withheld cells together hold at least `k` answers;
//! and a place withheld as such a complement has its own breakdowns withheld too, so its total
//! cannot be rebuilt from below. [`Counts::withheld`] carries the decision to the renderers.
//!
//! A cell shows two kinds of figure: its scores' (responses, CSAT, mean, distribution) and the
//! share of its answers that said "does not apply". Both are weighed: a cell is too small when
//! its scores or its answers with "does not apply" are from 1 to `k` − 1, and the complements
//! are chosen for each of the two sizes, so neither kind of figure can be worked out from fewer
//! than `k` answers.

use std::collections::{BTreeMap, HashSet};

use super::{Counts, Filter, MIN_RESPONSES};
use crate::access::Scope;

/// Largest `min_responses` accepted: above it a pilot's desks would show nothing.
pub const MAX_MIN_RESPONSES: i64 = 1_000;

/// Office → department → (desk, counts), in a stable order.
type Tree<'a> = BTreeMap<&'a str, BTreeMap<&'a str, Vec<(&'a str, Counts)>>>;

/// The rule, with its `k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disclosure {
    min_responses: i64,
}

impl Default for Disclosure {
    fn default() -> Disclosure {
        Disclosure::DEFAULT
    }
}

/// A place a figure is about: every office, one office, one department, or one desk.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Node {
    All,
    Office(String),
    Department { office: String, department: String },
    Desk(String),
}

impl Node {
    /// The place a filter's figures are about, within a viewer's scope: its desk, department or
    /// office (a department viewer's own department for its office), else the viewer's own
    /// department or office, else every office.
    pub fn of(filter: &Filter, scope: &Scope) -> Node {
        match (&filter.office, &filter.department, &filter.desk) {
            (_, _, Some(desk)) => Node::Desk(desk.to_string()),
            (Some(office), Some(department), None) => Node::Department {
                office: office.clone(),
                department: department.clone(),
            },
            (Some(office), None, None) => match scope.department() {
                // A department viewer's office is only ever its department.
                Some(own) => Node::Department {
                    office: office.clone(),
                    department: own.to_owned(),
                },
                None => Node::Office(office.clone()),
            },
            (None, _, None) => match (scope.office(), scope.department()) {
                (Some(office), Some(department)) => Node::Department {
                    office: office.to_owned(),
                    department: department.to_owned(),
                },
                (Some(own), None) => Node::Office(own.to_owned()),
                (None, _) => Node::All,
            },
        }
    }
}

impl Node {
    /// How far down the place is: every office, an office, a department, a desk.
    fn depth(&self) -> u8 {
        match self {
            Node::All => 0,
            Node::Office(_) => 1,
            Node::Department { .. } => 2,
            Node::Desk(_) => 3,
        }
    }

    /// This place, or `within` when that is further down: a breakdown's group coarser than the
    /// place its filter names (by office, with a desk chosen) holds only that place's answers.
    pub fn or_narrower(self, within: &Node) -> Node {
        if within.depth() > self.depth() {
            within.clone()
        } else {
            self
        }
    }

    /// Whether `desk` is in this place.
    pub fn covers(&self, desk: &DeskCounts) -> bool {
        match self {
            Node::All => true,
            Node::Office(office) => desk.office_id == *office,
            Node::Department { office, department } => {
                desk.office_id == *office && desk.department_id == *department
            }
            Node::Desk(id) => desk.desk_id == *id,
        }
    }
}

/// One desk's counted answers, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskCounts {
    pub office_id: String,
    pub department_id: String,
    pub desk_id: String,
    pub counts: Counts,
}

/// Which places are withheld for one filter: decided once over every office, so every viewer,
/// page and channel sees the same cells withheld.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Withheld {
    nodes: HashSet<Node>,
}

impl Withheld {
    pub fn contains(&self, node: &Node) -> bool {
        self.nodes.contains(node)
    }

    /// Withholds `node` as well (a further rule's decision).
    pub fn insert(&mut self, node: Node) {
        self.nodes.insert(node);
    }
}

impl Disclosure {
    /// `k` = [`MIN_RESPONSES`].
    pub const DEFAULT: Disclosure = Disclosure {
        min_responses: MIN_RESPONSES,
    };

    /// `k`; refused below [`MIN_RESPONSES`] (it may only be raised) and above
    /// [`MAX_MIN_RESPONSES`].
    pub fn new(min_responses: i64) -> Result<Disclosure, String> {
        if !(MIN_RESPONSES..=MAX_MIN_RESPONSES).contains(&min_responses) {
            return Err(format!(
                "{min_responses} is outside {MIN_RESPONSES}-{MAX_MIN_RESPONSES}: figures from \
                 fewer than {MIN_RESPONSES} answers are never shown"
            ));
        }
        Ok(Disclosure { min_responses })
    }

    /// `k`: the least number of answers a shown figure comes from.
    pub fn min_responses(self) -> i64 {
        self.min_responses
    }

    /// Whether `answers` answers are too few to show (none at all are shown as none).
    fn too_few_answers(self, answers: i64) -> bool {
        answers > 0 && answers < self.min_responses
    }

    /// Whether a cell is too small to show: its scores, or its answers with "does not apply",
    /// are from 1 to `k` − 1.
    pub fn too_few(self, counts: &Counts) -> bool {
        self.too_few_answers(counts.responses()) || self.too_few_answers(counts.answers())
    }

    /// Which of `parts` (cells adding up to a total) must be withheld, by
    /// [`Disclosure::withheld_sizes`] for their scores and for their answers with "does not
    /// apply": a part withheld by either is withheld.
    pub fn withheld_parts(self, total_withheld: bool, parts: &[Counts]) -> Vec<bool> {
        let scores: Vec<i64> = parts.iter().map(Counts::responses).collect();
        let answers: Vec<i64> = parts.iter().map(Counts::answers).collect();
        self.withheld_sizes(total_withheld, &scores)
            .into_iter()
            .zip(self.withheld_sizes(total_withheld, &answers))
            .map(|(by_scores, by_answers)| by_scores || by_answers)
            .collect()
    }

    /// Which of `parts` (sizes adding up to a total) must be withheld: every part with too few
    /// answers; and while the withheld parts hold fewer than `k` answers together, the smallest
    /// part still shown as well, so the total minus the shown parts never gives fewer than `k`
    /// answers. When the total itself is withheld, every part with answers is. (Withholding more
    /// parts, as the other size's decision may, only adds to the withheld answers.)
    fn withheld_sizes(self, total_withheld: bool, parts: &[i64]) -> Vec<bool> {
        if total_withheld {
            return parts.iter().map(|&n| n > 0).collect();
        }
        let mut withheld: Vec<bool> = parts.iter().map(|&n| self.too_few_answers(n)).collect();
        let mut hidden: i64 = parts
            .iter()
            .zip(&withheld)
            .filter(|(_, w)| **w)
            .map(|(n, _)| n)
            .sum();
        if !withheld.contains(&true) {
            return withheld;
        }
        while hidden < self.min_responses {
            let next = parts
                .iter()
                .enumerate()
                .filter(|(i, n)| !withheld[*i] && **n > 0)
                .min_by_key(|(i, n)| (**n, *i))
                .map(|(i, _)| i);
            let Some(i) = next else { break };
            withheld[i] = true;
            hidden += parts[i];
        }
        withheld
    }

    /// Marks the cells of `parts` that [`Disclosure::withheld_parts`] withholds.
    pub fn protect_parts<T>(
        self,
        total_withheld: bool,
        parts: &mut [T],
        counts: impl Fn(&mut T) -> &mut Counts,
    ) {
        let cells: Vec<Counts> = parts.iter_mut().map(|p| *counts(p)).collect();
        for (part, withheld) in parts
            .iter_mut()
            .zip(self.withheld_parts(total_withheld, &cells))
        {
            counts(part).withheld |= withheld;
        }
    }

    /// Decides which places are withheld, top down: all offices together when too few; among
    /// the offices, the departments of each office and the desks of each department, by
    /// [`Disclosure::withheld_parts`]; and every place inside a withheld one.
    pub fn places(self, desks: &[DeskCounts]) -> Withheld {
        let mut tree: Tree<'_> = BTreeMap::new();
        for d in desks {
            tree.entry(d.office_id.as_str())
                .or_default()
                .entry(d.department_id.as_str())
                .or_default()
                .push((d.desk_id.as_str(), d.counts));
        }
        let mut out = Withheld::default();
        let all_withheld = self.too_few(&sum(desks.iter().map(|d| &d.counts)));
        if all_withheld {
            out.nodes.insert(Node::All);
        }
        let office_sizes: Vec<Counts> = tree
            .values()
            .map(|deps| sum(deps.values().flatten().map(|(_, c)| c)))
            .collect();
        let offices_withheld = self.withheld_parts(all_withheld, &office_sizes);
        for ((office, departments), office_withheld) in tree.iter().zip(offices_withheld) {
            if office_withheld {
                out.nodes.insert(Node::Office((*office).to_owned()));
            }
            let sizes: Vec<Counts> = departments
                .values()
                .map(|desks| sum(desks.iter().map(|(_, c)| c)))
                .collect();
            let departments_withheld = self.withheld_parts(office_withheld, &sizes);
            for ((department, desks), department_withheld) in
                departments.iter().zip(departments_withheld)
            {
                if department_withheld {
                    out.nodes.insert(Node::Department {
                        office: (*office).to_owned(),
                        department: (*department).to_owned(),
                    });
                }
                let sizes: Vec<Counts> = desks.iter().map(|(_, c)| *c).collect();
                for ((desk, _), desk_withheld) in desks
                    .iter()
                    .zip(self.withheld_parts(department_withheld, &sizes))
                {
                    if desk_withheld {
                        out.nodes.insert(Node::Desk((*desk).to_owned()));
                    }
                }
            }
        }
        out
    }
}

/// The counts of `cells` together.
fn sum<'a>(cells: impl Iterator<Item = &'a Counts>) -> Counts {
    let mut total = Counts::default();
    cells.for_each(|c| total.add(*c));
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k5() -> Disclosure {
        Disclosure::default()
    }

    #[test]
    fn k_may_only_be_raised() {
        assert!(Disclosure::new(4).is_err());
        assert_eq!(Disclosure::new(10).map(Disclosure::min_responses), Ok(10));
        assert!(Disclosure::new(MAX_MIN_RESPONSES + 1).is_err());
    }

    #[test]
    fn one_small_part_takes_the_next_smallest_with_it() {
        // An office total of 132: departments of 2, 50, 80. Without the second cell,
        // 132 − 50 − 80 = 2 would give the hidden one back.
        assert_eq!(
            k5().withheld_sizes(false, &[2, 50, 80]),
            vec![true, true, false]
        );
        // Two small parts holding 5 or more together protect each other.
        assert_eq!(
            k5().withheld_sizes(false, &[3, 4, 80]),
            vec![true, true, false]
        );
        // Two holding fewer than 5 together take a third.
        assert_eq!(
            k5().withheld_sizes(false, &[1, 2, 9, 80]),
            vec![true, true, true, false]
        );
        // Empty parts are known to be empty: they protect nothing and are shown as empty.
        assert_eq!(
            k5().withheld_sizes(false, &[2, 0, 7]),
            vec![true, false, true]
        );
        // Nothing small, nothing withheld.
        assert_eq!(
            k5().withheld_sizes(false, &[5, 6, 0]),
            vec![false, false, false]
        );
        // A withheld total withholds every part with answers.
        assert_eq!(
            k5().withheld_sizes(true, &[3, 0, 50]),
            vec![true, false, true]
        );
    }

    #[test]
    fn a_larger_k_withholds_more() {
        let k10 = Disclosure::new(10).expect("k");
        assert_eq!(
            k10.withheld_sizes(false, &[7, 12, 40]),
            vec![true, true, false]
        );
    }

    fn desk(office: &str, department: &str, desk: &str, n: i64) -> DeskCounts {
        DeskCounts {
            office_id: office.into(),
            department_id: department.into(),
            desk_id: desk.into(),
            counts: Counts::new([0, 0, 0, n]),
        }
    }

    #[test]
    fn a_complement_place_withholds_everything_inside_it() {
        // Office plock: department wso (one desk with 2 answers) and fin (two desks of 25).
        // wso is too small, so fin is withheld beside it; fin's desks then must not add up to
        // fin, or plock − fin would give wso back.
        let withheld = k5().places(&[
            desk("plock", "wso", "plock-wso-01", 2),
            desk("plock", "fin", "plock-fin-01", 25),
            desk("plock", "fin", "plock-fin-02", 25),
            desk("gabin", "fin", "gabin-fin-01", 40),
        ]);
        let department = |o: &str, d: &str| Node::Department {
            office: o.into(),
            department: d.into(),
        };
        assert!(withheld.contains(&department("plock", "wso")));
        assert!(withheld.contains(&department("plock", "fin")));
        assert!(withheld.contains(&Node::Desk("plock-wso-01".into())));
        assert!(withheld.contains(&Node::Desk("plock-fin-01".into())));
        assert!(withheld.contains(&Node::Desk("plock-fin-02".into())));
        assert!(!withheld.contains(&Node::Office("plock".into())));
        assert!(!withheld.contains(&Node::Office("gabin".into())));
        assert!(!withheld.contains(&Node::All));
    }

    #[test]
    fn a_group_above_the_chosen_place_is_that_place() {
        let desk = Node::Desk("plock-wso-02".into());
        assert_eq!(Node::Office("plock".into()).or_narrower(&desk), desk);
        let office = Node::Office("plock".into());
        let department = Node::Department {
            office: "plock".into(),
            department: "wso".into(),
        };
        assert_eq!(department.clone().or_narrower(&office), department);
        assert_eq!(office.clone().or_narrower(&Node::All), office);
    }

    #[test]
    fn protect_parts_marks_the_counts() {
        let mut parts = [
            Counts::new([0, 0, 1, 1]),
            Counts::new([5, 5, 5, 5]),
            Counts::new([9, 9, 9, 9]),
        ];
        k5().protect_parts(false, &mut parts, |c| c);
        assert_eq!(parts.map(|c| c.withheld), [true, true, false]);
        assert_eq!(parts[1].shown_responses(), None);
        assert_eq!(parts[1].figures(), None);
        assert!(parts[2].figures().is_some());
    }
}
