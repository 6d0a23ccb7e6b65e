//! The aggregator's languages are the .po files that exist: adding a fifth language is one file
//! in `i18n/translations/` (docs/TRANSLATING.md), and the survey check behind `desk add`/`desk set`,
//! the dashboard's client-language filter and the language's name follow with no list to extend.
//! Also the boundary that keeps it so: the aggregator never reads `ui/`.

use std::path::{Path, PathBuf};

use i18n::{Translations, directory};
use model::wire::DeskSurvey;
use model::{LanguageTag, StandardId};
use sync_server::dashboard::{Lang, labels, pages};
use sync_server::survey::{self, SurveyError};

fn tag(code: &str) -> LanguageTag {
    code.parse().expect("language tag")
}

/// A valid desk survey offering `languages`, the first the default.
fn survey_offering(languages: &[&str]) -> DeskSurvey {
    DeskSurvey {
        revision: 1,
        desk_id: "plock-bok-01".parse().expect("desk"),
        desk_name: "Stanowisko 1".into(),
        office: "plock".into(),
        internal_service: false,
        standards: vec![StandardId::IV],
        languages: languages.iter().map(|code| tag(code)).collect(),
        default_language: tag(languages[0]),
        idle_prompt_after_s: 45,
        idle_countdown_s: 25,
        change_answer_window_s: 10,
        thank_you_s: 6,
    }
}

/// What the dashboard's filter offers for `shipped`: `(code, shown name)` of each option.
fn filter_options(shipped: &Translations, selected: &str) -> Vec<(String, String)> {
    let html = pages::language_select(Lang::Pl, Some(&tag(selected)), shipped).into_string();
    html.split("<option value=\"")
        .skip(2) // before the first option, and "all"
        .map(|option| {
            let (code, rest) = option.split_once('"').expect("a quoted value");
            let name = rest.split_once('>').and_then(|(_, r)| r.split_once('<'));
            (
                code.to_owned(),
                name.expect("an option's text").0.to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_po_file_is_a_language_the_server_accepts_filters_and_names() {
    let mut on_disk: Vec<String> = std::fs::read_dir(i18n::TRANSLATIONS_DIR)
        .expect("i18n/translations")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|dir| dir.join("LC_MESSAGES/ui.po").is_file())
        .map(|dir| {
            dir.file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    on_disk.sort();
    let mut shipped: Vec<String> = i18n::LANGUAGES.iter().map(|&c| c.to_owned()).collect();
    shipped.sort();
    assert_eq!(
        shipped, on_disk,
        "i18n::LANGUAGES is every .po file, and nothing else"
    );

    let options = filter_options(Translations::bundled(), "pl");
    assert_eq!(
        options
            .iter()
            .map(|(code, _)| code.as_str())
            .collect::<Vec<_>>(),
        i18n::LANGUAGES
    );
    for (code, name) in &options {
        assert_eq!(
            survey::check(&survey_offering(&[code])),
            Ok(()),
            "desk add --languages {code}"
        );
        assert_ne!(name, code, "{code} is named in its own language");
        assert_eq!(labels::language(code), name);
    }
}

/// A copy of the shipped translations with Czech added as a translator would: `en`'s file with
/// the `Language` header and the language's own name translated.
fn translations_with_czech(copy: &Path) -> Translations {
    let shipped = directory::po_files(Path::new(i18n::TRANSLATIONS_DIR)).expect("shipped .po");
    assert_eq!(shipped.len(), 4, "this test adds a fifth: {shipped:?}");
    let place = |code: &str| -> PathBuf {
        let po = copy.join(code).join(directory::PO_FILE);
        std::fs::create_dir_all(po.parent().expect("LC_MESSAGES")).expect("language directory");
        po
    };
    for (code, po) in &shipped {
        std::fs::copy(po, place(code)).expect("copy a .po");
    }
    let english = std::fs::read_to_string(&shipped.iter().find(|(c, _)| c == "en").expect("en").1)
        .expect("en .po");
    let native = "msgctxt \"language\"\nmsgid \"native name\"\nmsgstr \"English\"";
    assert!(english.contains(native) && english.contains("\"Language: en\\n\""));
    let czech = english
        .replace("\"Language: en\\n\"", "\"Language: cs\\n\"")
        .replace(native, &native.replace("English", "Čeština"));
    std::fs::write(place("cs"), czech).expect("cs .po");
    Translations::from_directory(copy).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_fifth_po_file_is_all_the_server_needs() {
    let copy = tempfile::tempdir().expect("temp dir");
    let five = translations_with_czech(copy.path());
    let codes: Vec<&str> = five.languages().map(LanguageTag::as_str).collect();
    assert_eq!(codes, ["pl", "cs", "de", "en", "uk"]);

    // The survey check `desk add`/`desk set` run: Czech offered, even as the default.
    let czech_desk = survey_offering(&["cs", "pl"]);
    assert_eq!(survey::check_with_translations(&czech_desk, &five), Ok(()));
    // This build has no Czech file: refused, naming it and what is shipped.
    assert_eq!(
        survey::check(&czech_desk),
        Err(SurveyError::NoTranslation {
            language: "cs".into(),
            available: i18n::LANGUAGES.join(", "),
        })
    );

    // The dashboard's client-language filter offers it, by its own name, and keeps it chosen.
    let options = filter_options(&five, "cs");
    assert!(
        options.contains(&("cs".into(), "Čeština".into())),
        "{options:?}"
    );
    assert_eq!(options.len(), 5);
    let html = pages::language_select(Lang::En, Some(&tag("cs")), &five).into_string();
    assert!(html.contains(r#"value="cs" lang="cs" selected"#), "{html}");
    assert_eq!(labels::language_in(&five, "cs"), "Čeština");
    assert_eq!(
        labels::language("cs"),
        "cs",
        "not shipped in this build: shown as stored"
    );
}

/// Every file of the aggregator's package that the compiler or build reads.
fn package_sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable directory") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs" || e == "toml") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("Cargo.toml")];
    for dir in ["src", "tests", "benches"] {
        walk(&root.join(dir), &mut files);
    }
    files.extend(
        ["build.rs"]
            .map(|f| root.join(f))
            .into_iter()
            .filter(|f| f.is_file()),
    );
    files
}

#[test]
fn the_server_never_reads_ui() {
    // Built from parts so this file does not match itself.
    let ui_dir = ["ui", "/"].concat();
    let reaches_into_ui = [
        format!("../{ui_dir}"),
        format!("\"{ui_dir}"),
        format!("/{ui_dir}"),
    ];
    let depends_on_ui = [["ui", ".workspace"].concat(), ["ui", " = "].concat()];
    let mut found = Vec::new();
    for file in package_sources() {
        let text = std::fs::read_to_string(&file).expect("source text");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let is_manifest = file.ends_with("Cargo.toml");
            if reaches_into_ui.iter().any(|p| code.contains(p.as_str()))
                || (is_manifest
                    && depends_on_ui
                        .iter()
                        .any(|d| line.trim_start().starts_with(d.as_str())))
            {
                found.push(format!("{}:{}: {line}", file.display(), n + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "the aggregator reads translations through the i18n crate, never from ui/:\n{}",
        found.join("\n")
    );
}
