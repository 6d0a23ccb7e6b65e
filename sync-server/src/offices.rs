//! Offices as data: the rule for an office's id and name, and the five partner offices of the
//! pilot that `seed-offices` and `demo` add (`Storage::seed_partner_offices`). Every other layer
//! reads offices from storage.

use crate::analytics::filter;

/// An office: the id every department, desk, user and alert rule names, and its official name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Office {
    pub id: String,
    pub name: String,
}

/// The longest office name, in characters.
pub const MAX_NAME_CHARS: usize = 120;

/// Why an office id or name was refused; the message names the bad value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfficeError {
    #[error(
        "invalid office id {0:?}: use 1-{max} characters from a-z, 0-9 and '-', not starting with '-' (e.g. plock)",
        max = filter::MAX_ID_CHARS
    )]
    Id(String),
    #[error("invalid name for office {id:?}: give 1-{MAX_NAME_CHARS} characters")]
    Name { id: String },
}

/// An office id as given: a lowercase slug, the same rule the dashboard's filters apply, so
/// every office can be filtered on and scoped to.
pub fn parse_id(text: &str) -> Result<String, OfficeError> {
    if filter::is_id(text) {
        Ok(text.to_owned())
    } else {
        Err(OfficeError::Id(text.to_owned()))
    }
}

/// An office with its id checked and its name trimmed and checked.
pub fn parse(id: &str, name: &str) -> Result<Office, OfficeError> {
    let id = parse_id(id)?;
    let name = parse_name(&id, name)?;
    Ok(Office { id, name })
}

/// An office's name, trimmed: 1 to [`MAX_NAME_CHARS`] characters.
pub fn parse_name(id: &str, name: &str) -> Result<String, OfficeError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(OfficeError::Name { id: id.to_owned() });
    }
    Ok(name.to_owned())
}

/// The offices of the pilot: Płock and its four partners, with their official names.
pub fn partner_offices() -> Vec<Office> {
    [
        ("plock", "Urząd Miasta Płocka"),
        ("gabin", "Urząd Miasta i Gminy Gąbin"),
        ("stara-biala", "Urząd Gminy Stara Biała"),
        ("gostynin", "Urząd Miasta Gostynina"),
        ("powiat-gostyninski", "Starostwo Powiatowe w Gostyninie"),
    ]
    .into_iter()
    .map(|(id, name)| Office {
        id: id.to_owned(),
        name: name.to_owned(),
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_slugs_and_bad_ones_are_named() {
        assert_eq!(parse_id("stara-biala"), Ok("stara-biala".to_owned()));
        for bad in [
            "",
            "Plock",
            "płock",
            "-plock",
            "plock_2",
            "a b",
            &"x".repeat(65),
        ] {
            let err = parse_id(bad).expect_err(bad);
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        let office = parse("kutno", "  Urząd Miasta Kutno ").expect("office");
        assert_eq!(office.name, "Urząd Miasta Kutno");
        let err = parse("kutno", "   ").expect_err("empty");
        assert!(err.to_string().contains("\"kutno\""), "{err}");
        assert!(parse("kutno", &"ą".repeat(MAX_NAME_CHARS)).is_ok());
        assert!(parse("kutno", &"ą".repeat(MAX_NAME_CHARS + 1)).is_err());
    }

    #[test]
    fn the_partner_offices_pass_the_rules() {
        let offices = partner_offices();
        assert_eq!(offices.len(), 5);
        for office in offices {
            assert_eq!(parse(&office.id, &office.name), Ok(office));
        }
    }
}
