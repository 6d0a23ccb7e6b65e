//! Which files are the shipped languages: every `<lang>/LC_MESSAGES/ui.po` under a translations
//! directory, Polish (the default) first and then by code. `build.rs` embeds what this lists, and
//! [`crate::Translations::from_directory`] and `cargo xtask i18n` read the same list, so the rule
//! is written once.

use std::path::{Path, PathBuf};

/// Where a language's .po file sits inside its directory: Slint's bundled-translation layout,
/// whose domain is the `ui` crate's name.
pub const PO_FILE: &str = "LC_MESSAGES/ui.po";

/// `(language code, .po path)` of every language directory in `translations`, Polish first.
pub fn po_files(translations: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(translations)? {
        let entry = entry?;
        let po = entry.path().join(PO_FILE);
        if let Some(code) = entry.file_name().to_str()
            && po.is_file()
        {
            files.push((code.to_owned(), po));
        }
    }
    files.sort_by(|(a, _), (b, _)| (a != "pl", a).cmp(&(b != "pl", b)));
    Ok(files)
}
