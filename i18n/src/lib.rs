//! Ocena's translations, with no UI toolkit: the shipped gettext files
//! `translations/<lang>/LC_MESSAGES/ui.po`, their reader, and [`LANGUAGES`], the shipped languages
//! derived from the files that exist (`build.rs`). The kiosk (Slint bundles the same files for the
//! `@tr` strings of its screens), the aggregator (its survey check, dashboard filter and labels)
//! and xtask all read translations through this crate, so the aggregator never reads `ui/`.
//!
//! Texts that come from data, such as a standard's question or a reason chip, are translated with
//! [`Catalog::tr`]. One .po file per language holds every text, so a translator edits one file.
//!
//! The parser understands what gettext tools write: `msgctxt`, `msgid`, `msgid_plural`, `msgstr`,
//! `msgstr[n]`, strings continued over several lines, C escapes, comments, `#, fuzzy` flags and
//! obsolete `#~` entries (ignored). Fuzzy or empty translations are never used: the English msgid
//! shows instead.

#![forbid(unsafe_code)]

pub mod directory;

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use model::LanguageTag;

// `LANGUAGES` and `SHIPPED`: every `translations/<lang>/LC_MESSAGES/ui.po`, listed by `build.rs`.
// Adding a language is adding its file (docs/TRANSLATING.md); there is no list here to extend.
include!(concat!(env!("OUT_DIR"), "/shipped_translations.rs"));

/// This crate's translations directory on the machine that built it, for build scripts, tests and
/// `cargo xtask i18n` (a kiosk or aggregator uses the embedded copies, never this path).
pub const TRANSLATIONS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/translations");

/// The msgctxt and msgid of the entry whose msgstr is a language's own name ("Українська").
pub const NATIVE_NAME: (&str, &str) = ("language", "native name");

/// The translation catalogs of several languages.
#[derive(Debug)]
pub struct Translations {
    catalogs: Vec<Catalog>,
}

impl Translations {
    /// The catalogs shipped in this build, parsed once.
    ///
    /// # Panics
    /// If a shipped .po file does not parse; the crate's tests make sure they all do.
    pub fn bundled() -> &'static Translations {
        static BUNDLED: OnceLock<Translations> = OnceLock::new();
        BUNDLED.get_or_init(|| {
            Self::parse(SHIPPED).unwrap_or_else(|e| panic!("a bundled .po file is broken: {e}"))
        })
    }

    /// Reads every language of a translations directory (as [`directory::po_files`] lists them),
    /// as [`Self::bundled`] embeds them at build time: for tools and for tests that add a language.
    pub fn from_directory(translations: &Path) -> Result<Translations, DirectoryError> {
        let unreadable = |path: &Path, source| DirectoryError::Unreadable {
            path: path.display().to_string(),
            source,
        };
        let files = directory::po_files(translations)
            .map_err(|e| unreadable(translations, e))?
            .into_iter()
            .map(|(code, po)| {
                Ok((
                    code,
                    std::fs::read_to_string(&po).map_err(|e| unreadable(&po, e))?,
                ))
            })
            .collect::<Result<Vec<_>, DirectoryError>>()?;
        let borrowed: Vec<(&str, &str)> = files
            .iter()
            .map(|(code, text)| (code.as_str(), text.as_str()))
            .collect();
        Ok(Self::parse(&borrowed)?)
    }

    /// Parses `(language code, .po text)` pairs, keeping their order.
    pub fn parse(files: &[(&str, &str)]) -> Result<Translations, LoadError> {
        let catalogs = files
            .iter()
            .map(|&(code, text)| {
                let language = code.parse::<LanguageTag>().map_err(|e| LoadError {
                    language: code.to_owned(),
                    error: ParseError {
                        line: 0,
                        message: e.to_string(),
                    },
                })?;
                Catalog::parse(language, text).map_err(|error| LoadError {
                    language: code.to_owned(),
                    error,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Translations { catalogs })
    }

    /// The languages these catalogs cover, in order (Polish first for the bundled ones).
    pub fn languages(&self) -> impl Iterator<Item = &LanguageTag> {
        self.catalogs.iter().map(|c| &c.language)
    }

    /// The catalogs, in the order of [`Self::languages`].
    pub fn catalogs(&self) -> impl Iterator<Item = &Catalog> {
        self.catalogs.iter()
    }

    /// The catalog of the language whose code is `code` ("uk"), if it is among these.
    pub fn by_code(&self, code: &str) -> Option<&Catalog> {
        self.catalogs.iter().find(|c| c.language.as_str() == code)
    }

    /// The catalog of one language, if it is shipped.
    pub fn get(&self, language: &LanguageTag) -> Option<&Catalog> {
        self.catalogs.iter().find(|c| &c.language == language)
    }
}

/// One language's messages, from one .po file.
#[derive(Debug)]
pub struct Catalog {
    language: LanguageTag,
    header: HashMap<String, String>,
    /// msgctxt (`None` for entries without one) → msgid → message.
    messages: HashMap<Option<String>, HashMap<String, Message>>,
    /// Every entry in file order, for checks such as [`Self::untranslated`].
    order: Vec<(Option<String>, String)>,
}

impl Catalog {
    /// Parses the text of a .po file for `language`.
    pub fn parse(language: LanguageTag, text: &str) -> Result<Catalog, ParseError> {
        let mut catalog = Catalog {
            language,
            header: HashMap::new(),
            messages: HashMap::new(),
            order: Vec::new(),
        };
        for entry in parse_po(text)? {
            if entry.context.is_none() && entry.msgid.is_empty() {
                catalog.header = parse_header(entry.msgstr.first().map_or("", String::as_str));
                continue;
            }
            let key = (entry.context.clone(), entry.msgid.clone());
            let by_id = catalog.messages.entry(entry.context).or_default();
            if by_id.contains_key(&entry.msgid) {
                return Err(ParseError {
                    line: entry.line,
                    message: format!("duplicate entry {}", describe(&key.0, &key.1)),
                });
            }
            by_id.insert(
                entry.msgid,
                Message {
                    msgid_plural: entry.msgid_plural,
                    msgstr: entry.msgstr,
                    fuzzy: entry.fuzzy,
                    line: entry.line,
                },
            );
            catalog.order.push(key);
        }
        Ok(catalog)
    }

    pub fn language(&self) -> &LanguageTag {
        &self.language
    }

    /// A header field such as `Language` or `Plural-Forms`.
    pub fn header(&self, field: &str) -> Option<&str> {
        self.header.get(field).map(String::as_str)
    }

    /// The language's own name ("Polski", "Українська"), or its code if the .po lacks one.
    pub fn native_name(&self) -> &str {
        let (context, msgid) = NATIVE_NAME;
        self.translation(Some(context), msgid)
            .unwrap_or(self.language.as_str())
    }

    /// The translation of `msgid` in `context`, or `msgid` itself when it is missing, empty or
    /// fuzzy (for plural entries, the first form).
    pub fn tr<'a>(&'a self, context: &str, msgid: &'a str) -> &'a str {
        self.translation(Some(context), msgid).unwrap_or(msgid)
    }

    /// The usable translation of an entry: present, not fuzzy and not empty.
    pub fn translation(&self, context: Option<&str>, msgid: &str) -> Option<&str> {
        self.message(context, msgid)
            .filter(|m| m.is_translated())
            .and_then(|m| m.msgstr.first())
            .map(String::as_str)
    }

    /// The entry for `msgid` in `context` (`None`: an entry without msgctxt), translated or not.
    pub fn message(&self, context: Option<&str>, msgid: &str) -> Option<&Message> {
        self.messages.get(&context.map(str::to_owned))?.get(msgid)
    }

    /// Entries that are fuzzy or have an empty translation, in file order.
    pub fn untranslated(&self) -> Vec<Untranslated<'_>> {
        self.order
            .iter()
            .filter_map(|(context, msgid)| {
                let message = self.message(context.as_deref(), msgid)?;
                (!message.is_translated()).then_some(Untranslated {
                    context: context.as_deref(),
                    msgid,
                    fuzzy: message.fuzzy,
                    line: message.line,
                })
            })
            .collect()
    }

    /// Every entry as `(msgctxt, msgid, message)`, in file order (the header excluded).
    pub fn entries(&self) -> impl Iterator<Item = (Option<&str>, &str, &Message)> {
        self.order.iter().filter_map(|(context, msgid)| {
            Some((
                context.as_deref(),
                msgid.as_str(),
                self.message(context.as_deref(), msgid)?,
            ))
        })
    }
}

/// One translated message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    msgid_plural: Option<String>,
    msgstr: Vec<String>,
    fuzzy: bool,
    line: usize,
}

impl Message {
    /// True if the translation may be shown: not fuzzy and every form filled in.
    pub fn is_translated(&self) -> bool {
        !self.fuzzy && !self.msgstr.is_empty() && self.msgstr.iter().all(|s| !s.is_empty())
    }

    pub fn is_fuzzy(&self) -> bool {
        self.fuzzy
    }

    pub fn msgid_plural(&self) -> Option<&str> {
        self.msgid_plural.as_deref()
    }

    /// The translation: one string, or one per plural form (`msgstr[0]`, `msgstr[1]`, …).
    pub fn forms(&self) -> &[String] {
        &self.msgstr
    }

    /// The line of the entry's `msgid` in its .po file.
    pub fn line(&self) -> usize {
        self.line
    }
}

/// An entry that still needs a translator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Untranslated<'a> {
    pub context: Option<&'a str>,
    pub msgid: &'a str,
    /// Marked `#, fuzzy` (rather than empty).
    pub fuzzy: bool,
    /// The line of its `msgid`.
    pub line: usize,
}

impl fmt::Display for Untranslated<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.fuzzy { "fuzzy" } else { "untranslated" };
        write!(
            f,
            "line {}: {what} {}",
            self.line,
            describe(&self.context, self.msgid)
        )
    }
}

fn describe(context: &Option<impl AsRef<str>>, msgid: &str) -> String {
    match context {
        Some(context) => format!("msgctxt {:?} msgid {msgid:?}", context.as_ref()),
        None => format!("msgid {msgid:?}"),
    }
}

/// A .po file that is not valid gettext syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number (0: not about a line).
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// A shipped .po file that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub language: String,
    pub error: ParseError,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/LC_MESSAGES/ui.po {}", self.language, self.error)
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// A translations directory that cannot be read, or holds a .po file that does not parse.
#[derive(Debug)]
pub enum DirectoryError {
    Unreadable {
        path: String,
        source: std::io::Error,
    },
    Invalid(LoadError),
}

impl From<LoadError> for DirectoryError {
    fn from(error: LoadError) -> Self {
        DirectoryError::Invalid(error)
    }
}

impl fmt::Display for DirectoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DirectoryError::Unreadable { path, source } => {
                write!(f, "cannot read {path}: {source}")
            }
            DirectoryError::Invalid(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for DirectoryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DirectoryError::Unreadable { source, .. } => Some(source),
            DirectoryError::Invalid(error) => Some(error),
        }
    }
}

/// One entry as written in a .po file.
#[derive(Debug, Default)]
struct Entry {
    context: Option<String>,
    msgid: String,
    msgid_plural: Option<String>,
    msgstr: Vec<String>,
    fuzzy: bool,
    /// Line of `msgid`.
    line: usize,
}

/// Which string a continuation line (`"…"` alone) extends.
#[derive(Debug, Clone, Copy)]
enum Field {
    Context,
    Id,
    IdPlural,
    Str(usize),
}

/// The entry being read: what it has so far and the field the next continuation line extends.
#[derive(Debug, Default)]
struct Pending {
    entry: Entry,
    has_id: bool,
    has_str: bool,
    started: bool,
    field: Option<Field>,
}

fn parse_po(text: &str) -> Result<Vec<Entry>, ParseError> {
    let mut entries = Vec::new();
    let mut pending = Pending::default();
    let mut last_line = 0;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        last_line = line_no;
        let line = raw.trim();
        let error = |message: String| ParseError {
            line: line_no,
            message,
        };
        if line.is_empty() {
            finish(&mut pending, &mut entries, line_no)?;
            continue;
        }
        if line.starts_with("#~") {
            // Obsolete entry: kept by gettext tools for reuse, never used.
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            // A comment after a complete entry starts the next one.
            if pending.has_str {
                finish(&mut pending, &mut entries, line_no)?;
            }
            if let Some(flags) = comment.strip_prefix(',') {
                pending.started = true;
                pending.entry.fuzzy |= flags.split(',').any(|flag| flag.trim() == "fuzzy");
            }
            continue;
        }
        if line.starts_with('"') {
            let value = unquote(line).map_err(error)?;
            let Some(field) = pending.field else {
                return Err(error(
                    "a continued string without a keyword before it".into(),
                ));
            };
            let entry = &mut pending.entry;
            match field {
                Field::Context => entry.context.get_or_insert_default().push_str(&value),
                Field::Id => entry.msgid.push_str(&value),
                Field::IdPlural => entry.msgid_plural.get_or_insert_default().push_str(&value),
                Field::Str(n) => entry.msgstr[n].push_str(&value),
            }
            continue;
        }
        let (keyword, rest) = line.split_once(char::is_whitespace).ok_or_else(|| {
            error(format!(
                "expected a keyword and a quoted string, found {line:?}"
            ))
        })?;
        let value = unquote(rest.trim()).map_err(error)?;
        if matches!(keyword, "msgctxt" | "msgid") && pending.has_str {
            finish(&mut pending, &mut entries, line_no)?;
        }
        pending.started = true;
        let entry = &mut pending.entry;
        let field = match keyword {
            "msgctxt" if pending.has_id || entry.context.is_some() => {
                return Err(error("msgctxt must come once, before msgid".into()));
            }
            "msgctxt" => {
                entry.context = Some(value);
                Field::Context
            }
            "msgid" if pending.has_id => return Err(error("a second msgid in one entry".into())),
            "msgid" => {
                pending.has_id = true;
                entry.msgid = value;
                entry.line = line_no;
                Field::Id
            }
            _ if !pending.has_id => return Err(error(format!("{keyword} before msgid"))),
            "msgid_plural" if pending.has_str || entry.msgid_plural.is_some() => {
                return Err(error("msgid_plural must come once, before msgstr".into()));
            }
            "msgid_plural" => {
                entry.msgid_plural = Some(value);
                Field::IdPlural
            }
            "msgstr" if entry.msgid_plural.is_some() => {
                return Err(error("a plural entry needs msgstr[0], msgstr[1], …".into()));
            }
            "msgstr" if pending.has_str => return Err(error("a second msgstr".into())),
            "msgstr" => {
                pending.has_str = true;
                entry.msgstr.push(value);
                Field::Str(0)
            }
            _ => {
                let index = keyword
                    .strip_prefix("msgstr[")
                    .and_then(|k| k.strip_suffix(']'))
                    .and_then(|n| n.parse::<usize>().ok())
                    .ok_or_else(|| error(format!("unknown keyword {keyword:?}")))?;
                if entry.msgid_plural.is_none() {
                    return Err(error(format!("{keyword} without msgid_plural")));
                }
                if index != entry.msgstr.len() {
                    return Err(error(format!(
                        "expected msgstr[{}], found {keyword}",
                        entry.msgstr.len()
                    )));
                }
                pending.has_str = true;
                entry.msgstr.push(value);
                Field::Str(index)
            }
        };
        pending.field = Some(field);
    }
    finish(&mut pending, &mut entries, last_line + 1)?;
    Ok(entries)
}

/// Ends the pending entry, if any; it must be complete.
fn finish(pending: &mut Pending, entries: &mut Vec<Entry>, line: usize) -> Result<(), ParseError> {
    let done = std::mem::take(pending);
    if !done.started {
        return Ok(());
    }
    if !done.has_id || !done.has_str {
        let missing = if done.has_id { "msgstr" } else { "msgid" };
        return Err(ParseError {
            line,
            message: format!("an entry ends without {missing}"),
        });
    }
    entries.push(done.entry);
    Ok(())
}

/// The content of a C-style quoted string: `"a \"b\"\n"` → `a "b"` and a newline.
fn unquote(quoted: &str) -> Result<String, String> {
    let inner = quoted
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .filter(|_| quoted.len() >= 2)
        .ok_or_else(|| format!("expected a quoted string, found {quoted:?}"))?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(match chars.next() {
                Some('n') => '\n',
                Some('t') => '\t',
                Some('r') => '\r',
                Some('a') => '\u{7}',
                Some('b') => '\u{8}',
                Some('f') => '\u{c}',
                Some('v') => '\u{b}',
                Some(c @ ('"' | '\\' | '\'' | '?')) => c,
                Some(other) => return Err(format!("unknown escape \\{other} in {quoted}")),
                None => return Err(format!("a string ends in a backslash: {quoted}")),
            }),
            '"' => return Err(format!("an unescaped quote inside {quoted}")),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// The header's `Field: value` lines.
fn parse_header(msgstr: &str) -> HashMap<String, String> {
    msgstr
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(field, value)| (field.trim().to_owned(), value.trim().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(text: &str) -> Catalog {
        Catalog::parse(LanguageTag::polish(), text).expect("test .po parses")
    }

    fn parse_error(text: &str) -> ParseError {
        Catalog::parse(LanguageTag::polish(), text).expect_err("test .po is refused")
    }

    const HEADER: &str = r#"# A translator's comment.
msgid ""
msgstr ""
"Language: pl\n"
"Plural-Forms: nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && "
"(n%100<10 || n%100>=20) ? 1 : 2);\n"
"#;

    #[test]
    fn reads_the_header_across_continued_lines() {
        let c = catalog(HEADER);
        assert_eq!(c.header("Language"), Some("pl"));
        assert_eq!(
            c.header("Plural-Forms"),
            Some(
                "nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
            )
        );
        assert!(c.entries().next().is_none(), "the header is not a message");
        assert_eq!(
            c.translation(None, ""),
            None,
            "the header is never a translation"
        );
    }

    #[test]
    fn the_same_msgid_differs_by_context() {
        let c = catalog(&format!(
            r#"{HEADER}
msgid "Finish"
msgstr "Zakończ"

#. extracted comment
#: pages/ask-more.slint:54
msgctxt "title IV"
msgid "Finish"
msgstr "Koniec"
"#
        ));
        assert_eq!(c.translation(None, "Finish"), Some("Zakończ"));
        assert_eq!(c.tr("title IV", "Finish"), "Koniec");
        assert_eq!(
            c.tr("title V", "Finish"),
            "Finish",
            "an unknown context falls back"
        );
    }

    #[test]
    fn joins_continued_lines_and_unescapes() {
        let c = catalog(
            r#"msgctxt "reason "
"iv-jargon"
msgid ""
"Too much "
"jargon"
msgstr ""
"Zbyt \"fachowy\"\n"
"język\t\\ koniec"
"#,
        );
        assert_eq!(
            c.tr("reason iv-jargon", "Too much jargon"),
            "Zbyt \"fachowy\"\njęzyk\t\\ koniec"
        );
    }

    #[test]
    fn fuzzy_and_empty_translations_fall_back_to_the_msgid() {
        let c = catalog(
            r#"#, fuzzy, c-format
msgctxt "question IV"
msgid "Was the staff member kind?"
msgstr "Czy pracownik był miły?"

msgctxt "question V"
msgid "Was your call answered?"
msgstr ""

#, c-format
msgctxt "question VI"
msgid "Did you get a reply?"
msgstr "Czy była odpowiedź?"
"#,
        );
        assert_eq!(
            c.tr("question IV", "Was the staff member kind?"),
            "Was the staff member kind?"
        );
        assert_eq!(
            c.tr("question V", "Was your call answered?"),
            "Was your call answered?"
        );
        assert_eq!(
            c.tr("question VI", "Did you get a reply?"),
            "Czy była odpowiedź?"
        );
        let untranslated = c.untranslated();
        assert_eq!(untranslated.len(), 2);
        assert_eq!(
            (
                untranslated[0].context,
                untranslated[0].fuzzy,
                untranslated[0].line
            ),
            (Some("question IV"), true, 3)
        );
        assert_eq!(
            (untranslated[1].msgid, untranslated[1].fuzzy),
            ("Was your call answered?", false)
        );
        assert_eq!(
            untranslated[0].to_string(),
            "line 3: fuzzy msgctxt \"question IV\" msgid \"Was the staff member kind?\""
        );
    }

    #[test]
    fn keeps_plural_forms() {
        let c = catalog(
            r#"msgid "{n} second left"
msgid_plural "{n} seconds left"
msgstr[0] "Została {n} sekunda"
msgstr[1] "Zostały {n} sekundy"
msgstr[2] ""
"Zostało {n} sekund"
"#,
        );
        let m = c.message(None, "{n} second left").expect("plural entry");
        assert_eq!(m.msgid_plural(), Some("{n} seconds left"));
        assert_eq!(
            m.forms(),
            [
                "Została {n} sekunda",
                "Zostały {n} sekundy",
                "Zostało {n} sekund"
            ]
        );
        assert!(m.is_translated());
        assert_eq!(
            c.translation(None, "{n} second left"),
            Some("Została {n} sekunda")
        );
    }

    #[test]
    fn a_plural_entry_with_an_empty_form_is_untranslated() {
        let c = catalog(
            "msgid \"{n} day\"\nmsgid_plural \"{n} days\"\nmsgstr[0] \"{n} Tag\"\nmsgstr[1] \"\"\n",
        );
        assert_eq!(c.untranslated().len(), 1);
        assert_eq!(c.translation(None, "{n} day"), None);
    }

    #[test]
    fn ignores_obsolete_entries_and_entries_need_no_blank_line_between_them() {
        let c = catalog(
            r#"msgid "Yes"
msgstr "Tak"
#~ msgid "Old"
#~ msgstr "Stare"
msgid "No"
msgstr "Nie"
"#,
        );
        assert_eq!(c.tr("", "Old"), "Old");
        assert_eq!(c.translation(None, "Old"), None);
        assert_eq!(c.translation(None, "Yes"), Some("Tak"));
        assert_eq!(c.translation(None, "No"), Some("Nie"));
    }

    #[test]
    fn native_name_falls_back_to_the_code() {
        let named = catalog("msgctxt \"language\"\nmsgid \"native name\"\nmsgstr \"Polski\"\n");
        assert_eq!(named.native_name(), "Polski");
        assert_eq!(catalog(HEADER).native_name(), "pl");
    }

    #[test]
    fn malformed_files_are_refused_with_their_line() {
        let cases = [
            ("msgid \"a\"\nmsgstr \"b\" trailing\n", 2),
            ("msgid \"a\"\nmsgstr \"bad \\q escape\"\n", 2),
            ("msgid \"a\"\nmsgstr \"unterminated\n", 2),
            ("msgstr \"no msgid\"\n", 1),
            ("msgid \"a\"\n\nmsgid \"b\"\nmsgstr \"\"\n", 2),
            ("msgid \"a\"\nmsgid_plural \"as\"\nmsgstr \"x\"\n", 3),
            ("msgid \"a\"\nmsgid_plural \"as\"\nmsgstr[1] \"x\"\n", 3),
            (
                "msgid \"a\"\nmsgstr \"x\"\n\nmsgid \"a\"\nmsgstr \"y\"\n",
                4,
            ),
            ("\"orphan\"\n", 1),
            ("msgid \"a\"\nmsgstr[0] \"x\"\n", 2),
            ("msgid \"a\"\nmsgstr \"x\"\nmsgstr \"y\"\n", 3),
            ("msgid \"a\"\nmsgtxt \"x\"\n", 2),
        ];
        for (text, line) in cases {
            assert_eq!(parse_error(text).line, line, "{text:?}");
        }
    }

    #[test]
    fn load_errors_name_the_language_and_line() {
        let err = Translations::parse(&[("pl", "msgid \"a\"\n"), ("de", "")])
            .expect_err("incomplete entry");
        assert_eq!(err.language, "pl");
        assert_eq!(
            err.to_string(),
            "pl/LC_MESSAGES/ui.po line 2: an entry ends without msgstr"
        );
        assert!(
            Translations::parse(&[("PL", "")]).is_err(),
            "language codes are validated"
        );
    }

    #[test]
    fn the_bundled_files_parse_with_polish_first() {
        let bundled = Translations::parse(SHIPPED).unwrap_or_else(|e| panic!("{e}"));
        let codes: Vec<_> = bundled.languages().map(LanguageTag::as_str).collect();
        assert_eq!(
            codes, LANGUAGES,
            "LANGUAGES lists the embedded files in their order"
        );
        assert_eq!(codes.first(), Some(&"pl"));
        for catalog in bundled.catalogs() {
            assert_eq!(
                catalog.header("Language"),
                Some(catalog.language().as_str())
            );
        }
        let polish = Translations::bundled()
            .get(&LanguageTag::polish())
            .expect("Polish ships");
        assert_eq!(polish.native_name(), "Polski");
    }

    #[test]
    fn a_directory_reads_as_the_build_embeds_it_and_a_new_language_joins_by_its_file() {
        let from_disk = Translations::from_directory(Path::new(TRANSLATIONS_DIR))
            .unwrap_or_else(|e| panic!("{e}"));
        let codes: Vec<_> = from_disk.languages().map(LanguageTag::as_str).collect();
        assert_eq!(codes, LANGUAGES);

        let copy = tempfile::tempdir().expect("temp dir");
        for (code, po) in directory::po_files(Path::new(TRANSLATIONS_DIR)).expect("listed") {
            let dir = copy.path().join(&code).join("LC_MESSAGES");
            std::fs::create_dir_all(&dir).expect("language dir");
            std::fs::copy(po, dir.join("ui.po")).expect("copied");
        }
        std::fs::create_dir_all(copy.path().join("cs/LC_MESSAGES")).expect("cs dir");
        std::fs::write(
            copy.path().join("cs").join(directory::PO_FILE),
            "msgctxt \"language\"\nmsgid \"native name\"\nmsgstr \"Čeština\"\n",
        )
        .expect("cs .po");
        std::fs::create_dir_all(copy.path().join("xx-notes")).expect("a directory without a .po");
        let five = Translations::from_directory(copy.path()).unwrap_or_else(|e| panic!("{e}"));
        let codes: Vec<_> = five.languages().map(LanguageTag::as_str).collect();
        assert_eq!(codes, ["pl", "cs", "de", "en", "uk"]);
        assert_eq!(
            five.by_code("cs").map(Catalog::native_name),
            Some("Čeština")
        );

        std::fs::write(
            copy.path().join("cs").join(directory::PO_FILE),
            "msgid \"a\"\n",
        )
        .expect("broken .po");
        let error = Translations::from_directory(copy.path()).expect_err("a broken file");
        assert_eq!(
            error.to_string(),
            "cs/LC_MESSAGES/ui.po line 2: an entry ends without msgstr"
        );
        let missing = Translations::from_directory(&copy.path().join("none"))
            .expect_err("no directory")
            .to_string();
        assert!(
            missing.starts_with("cannot read ") && missing.contains("none"),
            "{missing}"
        );
    }
}
