//! What the dashboard's pages and the department reports' e-mails both show: the catalogue's
//! labels in the reader's language and the SVG charts. Built from the rules (analytics, lang)
//! alone, so both the dashboard and `department_reports` use it without importing each other.

pub mod charts;
pub mod labels;
