//! Adding a language is one .po file plus one configuration entry (docs/TRANSLATING.md): every
//! `i18n/translations/<lang>/LC_MESSAGES/ui.po` is bundled, named in its own language, spoken with
//! an espeak-ng voice and accepted in `[languages] enabled`, with no list in the code to extend.

use std::path::Path;

use kiosk::config::{Config, EXAMPLE};
use ui::translations::Translations;

/// The language directories a translator has added under `i18n/translations/`.
fn translation_directories() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../i18n/translations");
    let mut codes: Vec<String> = std::fs::read_dir(&root)
        .expect("i18n/translations")
        .map(|entry| entry.expect("a directory entry"))
        .filter(|entry| entry.path().join("LC_MESSAGES/ui.po").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    codes.sort();
    codes
}

#[test]
fn every_po_file_is_a_language_the_kiosk_can_show_speak_and_configure() {
    let directories = translation_directories();
    assert!(
        directories.len() >= 4,
        "expected at least pl, en, uk, de: {directories:?}"
    );

    let bundled = Translations::bundled();
    let mut shipped: Vec<String> = bundled.languages().map(|l| l.as_str().to_owned()).collect();
    assert_eq!(
        shipped.first().map(String::as_str),
        Some("pl"),
        "Polish first"
    );
    shipped.sort();
    assert_eq!(
        shipped, directories,
        "every i18n/translations/<lang> is bundled, and nothing else"
    );

    for catalog in bundled.catalogs() {
        let code = catalog.language().as_str();
        assert_ne!(
            catalog.native_name(),
            code,
            "{code}: the .po file names the language in its own language (msgctxt \"language\" msgid \"native name\")"
        );
        let voice =
            speech::voice_for(code).unwrap_or_else(|e| panic!("{code}: no espeak-ng voice: {e}"));
        assert!(voice.starts_with(code), "{code}: voice {voice}");
    }

    // One configuration entry: `enabled` may list every shipped language, any one the default.
    let all = directories
        .iter()
        .map(|code| format!("{code:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    for default in &directories {
        let text = EXAMPLE
            .replace(
                r#"enabled = ["pl", "en", "uk", "de"]"#,
                &format!("enabled = [{all}]"),
            )
            .replace(r#"default = "pl""#, &format!("default = {default:?}"));
        let config = Config::parse(&text, Path::new("kiosk.toml"))
            .unwrap_or_else(|e| panic!("enabling {all} with default {default}: {e}"));
        assert_eq!(config.desk.languages.len(), directories.len());
        assert_eq!(config.desk.default_language.as_str(), default);
    }

    // A language without a .po file is refused, naming it.
    let text = EXAMPLE.replace(
        r#"enabled = ["pl", "en", "uk", "de"]"#,
        r#"enabled = ["pl", "cs"]"#,
    );
    let error = Config::parse(&text, Path::new("kiosk.toml"))
        .expect_err("cs has no translation")
        .to_string();
    assert!(error.contains("cs"), "{error}");
}
