//! Who may read what: a dashboard user's [`Role`] and the [`Scope`] of offices (or the one
//! department) it may read. Every page, export and API call takes a `Scope` and filters by it in
//! the query itself.

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
    /// The head of one department of one office (§5.1 of the ordinance): reads only that
    /// department, and receives its monthly report by e-mail.
    DepartmentViewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::OfficeViewer => "office_viewer",
            Role::DepartmentViewer => "department_viewer",
        }
    }

    /// Whether the role's purpose needs answers one by one (the per-answer export): the
    /// Organizational Department's analysis does; an office's own viewers get aggregates only.
    pub fn may_export_answers(self) -> bool {
        match self {
            Role::Admin | Role::Analyst => true,
            Role::OfficeViewer | Role::DepartmentViewer => false,
        }
    }

    /// Whether the role is bound to one office (and, for a department viewer, one department).
    pub fn needs_office(self) -> bool {
        matches!(self, Role::OfficeViewer | Role::DepartmentViewer)
    }

    /// Whether the role is bound to one department of its office.
    pub fn needs_department(self) -> bool {
        self == Role::DepartmentViewer
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "analyst" => Some(Role::Analyst),
            "office_viewer" => Some(Role::OfficeViewer),
            "department_viewer" => Some(Role::DepartmentViewer),
            _ => None,
        }
    }
}

/// The offices, or the one department, a viewer may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    AllOffices,
    Office(String),
    /// One department of one office (a department id is unique only within its office).
    Department {
        office: String,
        department: String,
    },
}

impl Scope {
    /// Whether anything of `office_id` is in this scope (for a department scope: its office,
    /// whose other departments stay out of it through [`Scope::department`]).
    pub fn allows_office(&self, office_id: &str) -> bool {
        self.office().is_none_or(|own| own == office_id)
    }

    /// The one office this scope is limited to, if any (for `WHERE office_id = ?`).
    pub fn office(&self) -> Option<&str> {
        match self {
            Scope::AllOffices => None,
            Scope::Office(own) | Scope::Department { office: own, .. } => Some(own),
        }
    }

    /// The one department of [`Scope::office`] this scope is limited to, if any (for
    /// `WHERE department_id = ?`, always beside the office's condition).
    pub fn department(&self) -> Option<&str> {
        match self {
            Scope::Department { department, .. } => Some(department),
            Scope::AllOffices | Scope::Office(_) => None,
        }
    }

    /// Whether the whole of `office_id` (every department) is in this scope.
    pub fn covers_office(&self, office_id: &str) -> bool {
        self.allows_office(office_id) && self.department().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in [
            Role::Admin,
            Role::Analyst,
            Role::OfficeViewer,
            Role::DepartmentViewer,
        ] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn only_the_organizational_departments_roles_export_answers() {
        assert!(Role::Admin.may_export_answers());
        assert!(Role::Analyst.may_export_answers());
        assert!(!Role::OfficeViewer.may_export_answers());
        assert!(!Role::DepartmentViewer.may_export_answers());
    }

    #[test]
    fn an_office_scope_allows_only_its_office() {
        let scope = Scope::Office("gabin".into());
        assert!(scope.allows_office("gabin"));
        assert!(!scope.allows_office("plock"));
        assert!(Scope::AllOffices.allows_office("plock"));
    }

    #[test]
    fn a_department_scope_is_its_office_narrowed_to_one_department() {
        let scope = Scope::Department {
            office: "plock".into(),
            department: "wso".into(),
        };
        assert_eq!(scope.office(), Some("plock"));
        assert_eq!(scope.department(), Some("wso"));
        assert!(scope.allows_office("plock"));
        assert!(!scope.allows_office("gabin"));
        assert!(
            !scope.covers_office("plock"),
            "not the office's other departments"
        );
        assert!(Scope::Office("plock".into()).covers_office("plock"));
    }
}
