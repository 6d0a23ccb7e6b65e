//! The shipped .po files are complete and valid: every catalogue text and every `@tr` string of the
//! .slint files is translated (not fuzzy, not empty) in every language, and GNU `msgfmt` accepts them.

use std::path::{Path, PathBuf};
use std::process::Command;

use model::{Catalogue, Rateability};
use ui::translations::{Catalog, NATIVE_NAME, TRANSLATIONS_DIR, Translations};

/// Longest texts that still fit the 800×480 screen (characters, in every language).
const MAX_REASON: usize = 40;
const MAX_QUESTION: usize = 90;

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bundled() -> &'static Translations {
    Translations::bundled()
}

fn fail_on(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_catalogue_text_is_translated_and_fits_in_every_language() {
    let mut problems = Vec::new();
    for catalog in bundled().catalogs() {
        let lang = catalog.language();
        let mut check = |context: String, msgid: &str, max: Option<usize>| match catalog
            .translation(Some(&context), msgid)
        {
            None => problems.push(format!(
                "{lang}: msgctxt {context:?} msgid {msgid:?} is missing, empty or fuzzy"
            )),
            Some(text) => match max {
                Some(max) if text.chars().count() > max => problems.push(format!(
                    "{lang}: msgctxt {context:?} is {} characters, at most {max} fit: {text:?}",
                    text.chars().count()
                )),
                _ => {}
            },
        };
        for standard in Catalogue::ordinance_4216_2018().standards() {
            check(standard.title_context(), standard.short_title, None);
            if standard.rateability == Rateability::Never {
                continue;
            }
            check(
                standard.question_context(),
                standard.question,
                Some(MAX_QUESTION),
            );
            for reason in standard.reasons {
                check(reason.context(), reason.text, Some(MAX_REASON));
            }
        }
    }
    fail_on(&problems);
}

#[test]
fn every_spoken_text_is_translated_in_every_language() {
    let mut problems = Vec::new();
    for catalog in bundled().catalogs() {
        for spoken in ui::spoken::ALL {
            match catalog.translation(Some(ui::spoken::CONTEXT), spoken.msgid) {
                None => problems.push(format!(
                    "{}: msgctxt {:?} msgid {:?} is missing, empty or fuzzy: run `cargo xtask \
                     i18n` and translate it",
                    catalog.language(),
                    ui::spoken::CONTEXT,
                    spoken.msgid
                )),
                Some(text) if catalog.language().as_str() != "en" && text == spoken.msgid => {
                    problems.push(format!(
                        "{}: {:?} is left in English",
                        catalog.language(),
                        spoken.msgid
                    ));
                }
                Some(_) => {}
            }
        }
    }
    fail_on(&problems);
}

#[test]
fn no_entry_is_untranslated_or_fuzzy() {
    let mut problems = Vec::new();
    for catalog in bundled().catalogs() {
        for entry in catalog.untranslated() {
            problems.push(format!("{}/LC_MESSAGES/ui.po {entry}", catalog.language()));
        }
    }
    fail_on(&problems);
}

#[test]
fn every_language_names_itself_distinctly() {
    let mut names: Vec<_> = bundled()
        .catalogs()
        .map(|c| {
            let name = c.translation(Some(NATIVE_NAME.0), NATIVE_NAME.1);
            assert!(
                name.is_some(),
                "{}: no msgctxt \"language\" msgid \"native name\"",
                c.language()
            );
            (c.native_name(), c.language().as_str())
        })
        .collect();
    assert_eq!(
        names
            .iter()
            .find(|(name, _)| *name == "Українська")
            .map(|n| n.1),
        Some("uk")
    );
    names.sort_unstable();
    names.dedup_by_key(|n| n.0);
    assert_eq!(
        names.len(),
        bundled().languages().count(),
        "two languages share a name: {names:?}"
    );
}

#[test]
fn every_po_directory_is_shipped_and_every_shipped_language_has_one() {
    let mut on_disk = Vec::new();
    for entry in std::fs::read_dir(TRANSLATIONS_DIR).expect("i18n/translations/") {
        let dir = entry.expect("directory entry").path();
        if dir.join("LC_MESSAGES/ui.po").is_file() {
            on_disk.push(
                dir.file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    on_disk.sort();
    let mut shipped: Vec<_> = bundled()
        .languages()
        .map(|l| l.as_str().to_owned())
        .collect();
    shipped.sort();
    assert_eq!(
        on_disk, shipped,
        "Slint bundles every i18n/translations/<lang>/LC_MESSAGES/ui.po and so must the i18n \
         crate, so the catalogue is translated too"
    );
}

/// One `@tr(…)` found in a .slint file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TrString {
    context: Option<String>,
    msgid: String,
    plural: Option<String>,
    at: String,
}

#[test]
fn every_tr_string_of_the_slint_files_is_translated_in_every_language() {
    let strings = tr_strings();
    assert!(
        strings
            .iter()
            .any(|s| s.msgid == "How would you rate the service today?"),
        "the scan finds the home screen's question: {strings:?}"
    );
    let mut problems = Vec::new();
    for catalog in bundled().catalogs() {
        let lang = catalog.language();
        for s in &strings {
            let Some(message) = catalog.message(s.context.as_deref(), &s.msgid) else {
                problems.push(format!(
                    "{lang}: {} (context {:?}, {}) is not in the .po: run `cargo xtask i18n`",
                    quoted(&s.msgid),
                    s.context,
                    s.at
                ));
                continue;
            };
            if !message.is_translated() {
                problems.push(format!(
                    "{lang}: {} ({}) is untranslated or fuzzy",
                    quoted(&s.msgid),
                    s.at
                ));
            }
            if message.msgid_plural() != s.plural.as_deref() {
                problems.push(format!(
                    "{lang}: {} ({}) has plural {:?} in the .po, {:?} in the .slint file",
                    quoted(&s.msgid),
                    s.at,
                    message.msgid_plural(),
                    s.plural
                ));
            } else if s.plural.is_some() && message.forms().len() != plural_count(catalog) {
                problems.push(format!(
                    "{lang}: {} ({}) has {} plural forms, the header says {}",
                    quoted(&s.msgid),
                    s.at,
                    message.forms().len(),
                    plural_count(catalog)
                ));
            }
        }
    }
    fail_on(&problems);
}

#[test]
fn translations_keep_the_placeholders_of_their_msgid() {
    let mut problems = Vec::new();
    for catalog in bundled().catalogs() {
        for (context, msgid, message) in catalog.entries() {
            let mut expected = placeholders(msgid);
            if let Some(plural) = message.msgid_plural() {
                expected.extend(placeholders(plural));
                expected.sort();
                expected.dedup();
            }
            for form in message.forms() {
                let mut found = placeholders(form);
                let ok = if message.msgid_plural().is_some() {
                    // A form may leave the number out ("one second"), never add a placeholder.
                    found.dedup();
                    found.iter().all(|p| expected.contains(p))
                } else {
                    found == expected
                };
                if !ok {
                    problems.push(format!(
                        "{} line {}: context {context:?} {}: {form:?} has placeholders {found:?}, \
                         expected {expected:?}",
                        catalog.language(),
                        message.line(),
                        quoted(msgid)
                    ));
                }
            }
        }
    }
    fail_on(&problems);
}

#[test]
fn msgfmt_accepts_every_po_file() {
    for language in bundled().languages() {
        let po = Path::new(TRANSLATIONS_DIR).join(format!("{language}/LC_MESSAGES/ui.po"));
        let output = Command::new("msgfmt")
            .args([
                "--check-format",
                "--check-header",
                "--check-domain",
                "-o",
                "/dev/null",
            ])
            .arg(&po)
            .output();
        let output = match output {
            Ok(output) => output,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                panic!("msgfmt not found: install gettext (apt-get install gettext)")
            }
            Err(e) => panic!("cannot run msgfmt: {e}"),
        };
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && stderr.trim().is_empty(),
            "msgfmt on {}: {}\n{stderr}",
            po.display(),
            output.status
        );
    }
}

fn quoted(s: &str) -> String {
    format!("{s:?}")
}

/// `nplurals` of a catalog's `Plural-Forms` header (2 without one, as gettext assumes).
fn plural_count(catalog: &Catalog) -> usize {
    catalog
        .header("Plural-Forms")
        .and_then(|h| {
            h.split(';')
                .find_map(|part| part.trim().strip_prefix("nplurals="))
        })
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(2)
}

/// The `{…}` placeholders of a Slint format string, sorted (`{{` and `}}` are literal braces).
fn placeholders(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        if let Some(literal) = after.strip_prefix('{') {
            rest = literal;
            continue;
        }
        match after.find('}') {
            Some(end) => {
                found.push(format!("{{{}}}", &after[..end]));
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    found.sort();
    found
}

#[test]
fn placeholders_are_found() {
    assert_eq!(placeholders("Frage {0} von {1}"), ["{0}", "{1}"]);
    assert_eq!(placeholders("{n} Sekunden {{literal}}"), ["{n}"]);
    assert_eq!(placeholders("{}, {}"), ["{}", "{}"]);
}

/// Every `@tr(…)` in the crate's .slint files.
fn tr_strings() -> Vec<TrString> {
    let mut files = Vec::new();
    collect_slint_files(crate_dir(), &mut files);
    files.sort();
    assert!(
        !files.is_empty(),
        "no .slint files under {}",
        crate_dir().display()
    );
    let mut strings = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable .slint file");
        let name = file
            .strip_prefix(crate_dir())
            .unwrap_or(&file)
            .display()
            .to_string();
        strings.extend(
            scan_tr(&text)
                .unwrap_or_else(|e| panic!("{name}: cannot read an @tr: {e}"))
                .into_iter()
                .map(|(line, context, msgid, plural)| TrString {
                    context,
                    msgid,
                    plural,
                    at: format!("{name}:{line}"),
                }),
        );
    }
    strings
}

fn collect_slint_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            let name = path.file_name().unwrap_or_default();
            if name != "target" && name != "translations" && name != "tests" {
                collect_slint_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "slint") {
            out.push(path);
        }
    }
}

type Found = (usize, Option<String>, String, Option<String>);

/// Finds `@tr("text")`, `@tr("context" => "text")` and `@tr("one" | "many" % n)` outside comments
/// and strings; returns (line, context, msgid, plural).
fn scan_tr(text: &str) -> Result<Vec<Found>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    i += 1;
                }
                i += 2;
            }
            '"' => {
                string_literal(&chars, &mut i)?;
            }
            '@' if chars[i + 1..].starts_with(&['t', 'r', '(']) => {
                let line = chars[..i].iter().filter(|&&c| c == '\n').count() + 1;
                i += 4;
                skip_space(&chars, &mut i);
                let first = string_literal(&chars, &mut i)?;
                skip_space(&chars, &mut i);
                let (context, msgid) = if chars[i..].starts_with(&['=', '>']) {
                    i += 2;
                    skip_space(&chars, &mut i);
                    (Some(first), string_literal(&chars, &mut i)?)
                } else {
                    (None, first)
                };
                skip_space(&chars, &mut i);
                let plural = if chars.get(i) == Some(&'|') {
                    i += 1;
                    skip_space(&chars, &mut i);
                    Some(string_literal(&chars, &mut i)?)
                } else {
                    None
                };
                found.push((line, context, msgid, plural));
            }
            _ => i += 1,
        }
    }
    Ok(found)
}

fn skip_space(chars: &[char], i: &mut usize) {
    while chars.get(*i).is_some_and(|c| c.is_whitespace()) {
        *i += 1;
    }
}

/// Reads a Slint string literal starting at `chars[*i]` (a quote) and unescapes it.
fn string_literal(chars: &[char], i: &mut usize) -> Result<String, String> {
    if chars.get(*i) != Some(&'"') {
        return Err(format!("expected a string literal at character {i}"));
    }
    *i += 1;
    let mut out = String::new();
    loop {
        let c = *chars.get(*i).ok_or("unterminated string")?;
        *i += 1;
        match c {
            '"' => return Ok(out),
            '\\' => {
                let e = *chars.get(*i).ok_or("unterminated escape")?;
                *i += 1;
                match e {
                    'n' => out.push('\n'),
                    '"' | '\\' => out.push(e),
                    'u' => {
                        let close = chars[*i..]
                            .iter()
                            .position(|&c| c == '}')
                            .ok_or("bad \\u{…}")?;
                        let hex: String = chars[*i + 1..*i + close].iter().collect();
                        let code = u32::from_str_radix(&hex, 16).map_err(|e| e.to_string())?;
                        out.push(char::from_u32(code).ok_or("bad \\u{…}")?);
                        *i += close + 1;
                    }
                    '{' => return Err("string interpolation in an @tr string".into()),
                    other => return Err(format!("unknown escape \\{other}")),
                }
            }
            c => out.push(c),
        }
    }
}

#[test]
fn the_tr_scan_reads_every_form_and_skips_comments() {
    let slint = r#"
        // @tr("in a comment")
        /* @tr("in a block") */
        Text { text: "@tr(\"in a string\")"; }
        Text { text: @tr("Skip"); }
        Text { text: @tr( "title IV" => "Direct \"service\"" ); }
        Text { text: @tr("{n} second left" | "{n} seconds left" % n); }
        Text { text: @tr("ctx" => "{n} day" | "{n} days" % n); }
        Text { text: @tr("Question {0} of {1}", a, b); }
    "#;
    let found = scan_tr(slint).expect("scan");
    let owned = |s: &str| Some(s.to_owned());
    assert_eq!(
        found,
        [
            (5, None, "Skip".to_owned(), None),
            (6, owned("title IV"), "Direct \"service\"".to_owned(), None),
            (
                7,
                None,
                "{n} second left".to_owned(),
                owned("{n} seconds left")
            ),
            (8, owned("ctx"), "{n} day".to_owned(), owned("{n} days")),
            (9, None, "Question {0} of {1}".to_owned(), None),
        ]
    );
}
