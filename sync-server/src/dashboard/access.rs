//! Who may read what: a dashboard user's [`Role`] and the [`Scope`] of offices it may read.
//! Every page, export and API call takes a `Scope` and filters by it in the query itself.

use serde::{Deserialize, Serialize};

/// A dashboard user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages offices, departments, desks, kiosks, enrollment codes and users; reads everything.
    Admin,
    /// Reads every office.
    Analyst,
    /// Reads only its own office.
    OfficeViewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::OfficeViewer => "office_viewer",
        }
    }

    /// Whether the role's purpose needs answers one by one (the per-answer export): the
    /// Organizational Department's analysis does; an office's own viewers get aggregates only.
    pub fn may_export_answers(self) -> bool {
        match self {
            Role::Admin | Role::Analyst => true,
            Role::OfficeViewer => false,
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "analyst" => Some(Role::Analyst),
            "office_viewer" => Some(Role::OfficeViewer),
            _ => None,
        }
    }
}

/// The offices a viewer may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    AllOffices,
    Office(String),
}

impl Scope {
    pub fn allows_office(&self, office_id: &str) -> bool {
        match self {
            Scope::AllOffices => true,
            Scope::Office(own) => own == office_id,
        }
    }

    /// The one office this scope is limited to, if any (for `WHERE office_id = ?`).
    pub fn office(&self) -> Option<&str> {
        match self {
            Scope::AllOffices => None,
            Scope::Office(own) => Some(own),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in [Role::Admin, Role::Analyst, Role::OfficeViewer] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn only_the_organizational_departments_roles_export_answers() {
        assert!(Role::Admin.may_export_answers());
        assert!(Role::Analyst.may_export_answers());
        assert!(!Role::OfficeViewer.may_export_answers());
    }

    #[test]
    fn an_office_scope_allows_only_its_office() {
        let scope = Scope::Office("gabin".into());
        assert!(scope.allows_office("gabin"));
        assert!(!scope.allows_office("plock"));
        assert!(Scope::AllOffices.allows_office("plock"));
    }
}
