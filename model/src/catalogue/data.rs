//! The catalogue's content, written from the text of ordinance 4216/2018 (`shared/seed/`).

use super::{Rateability, Reason, ReasonKind, Standard, StandardId};

use ReasonKind::{AvoidHappened as Avoid, RememberNotKept as Remember};

pub(super) static STANDARDS: [Standard; 13] = [
    // TODO(catalogue helper): all 13 standards.
];
