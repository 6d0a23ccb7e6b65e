//! The aggregator's layers, kept by reading its source: every file under `src/` may name
//! (`crate::…`, or `super::…` climbing to the crate root) only top-level modules of its own layer
//! or a lower one, and no top-level modules name each other in a circle. ARCHITECTURE.md states
//! the same order; a new top-level module fails here until it is given a layer.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

/// The layers from the bottom up; a module may import its own layer and those before it.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "rules: vocabulary and pure rules",
        &[
            "access",
            "admission",
            "analytics",
            "counting",
            "credentials",
            "event_time",
            "holidays",
            "lang",
            "offices",
            "proxies",
            "survey",
            "telemetry",
        ],
    ),
    (
        "support: settings, limits, alert rules and delivery, labels and charts",
        &[
            "alerts",
            "busy",
            "config",
            "passwords",
            "presentation",
            "rate_limit",
        ],
    ),
    ("storage", &["storage"]),
    (
        "services over storage, and the web's shared state",
        &[
            "alert_monitor",
            "connections",
            "database_move",
            "demo",
            "department_reports",
            "retention",
            "web",
        ],
    ),
    ("dashboard pages", &["dashboard"]),
    ("JSON API", &["http"]),
    (
        "composition and commands",
        &["cli", "startup", "user_admin"],
    ),
];

/// One place a file names a top-level module.
struct Reference {
    from_module: String,
    to_module: String,
    file: PathBuf,
    line: usize,
}

#[test]
fn every_import_points_down_the_layers() {
    let crate_root = source_root();
    let references = references_between_modules(&crate_root);
    let mut unplaced: BTreeSet<String> = top_level_modules(&crate_root)
        .into_iter()
        .filter(|m| layer_of(m).is_none())
        .collect();
    let mut wrong_way = Vec::new();
    for r in &references {
        let (Some(from), Some(to)) = (layer_of(&r.from_module), layer_of(&r.to_module)) else {
            unplaced.insert(r.from_module.clone());
            unplaced.insert(r.to_module.clone());
            continue;
        };
        if to > from {
            wrong_way.push(format!(
                "{}:{}: `{}` ({}) names `{}` ({}), a layer above it",
                r.file.display(),
                r.line,
                r.from_module,
                LAYERS[from].0,
                r.to_module,
                LAYERS[to].0,
            ));
        }
    }
    unplaced.retain(|m| layer_of(m).is_none());
    assert!(
        unplaced.is_empty(),
        "top-level modules in no layer (add each to LAYERS in {} and to ARCHITECTURE.md): {:?}",
        file!(),
        unplaced
    );
    assert!(
        wrong_way.is_empty(),
        "imports against the layer order (from the bottom: {}):\n{}",
        layer_order(),
        wrong_way.join("\n")
    );
}

#[test]
fn no_circle_among_top_level_modules() {
    let references = references_between_modules(&source_root());
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut evidence: BTreeMap<(&str, &str), String> = BTreeMap::new();
    for r in &references {
        graph
            .entry(&r.from_module)
            .or_default()
            .insert(&r.to_module);
        evidence
            .entry((&r.from_module, &r.to_module))
            .or_insert_with(|| format!("{}:{}", r.file.display(), r.line));
    }
    let drawn: Vec<String> = graph
        .iter()
        .map(|(from, to)| {
            format!(
                "  {from} -> {}",
                Vec::from_iter(to.iter().copied()).join(" ")
            )
        })
        .collect();
    println!(
        "the aggregator's modules and what each imports:\n{}",
        drawn.join("\n")
    );

    let mut circles = Vec::new();
    let mut reported = BTreeSet::new();
    for (&from, targets) in &graph {
        for &to in targets {
            if let Some(back) = path(&graph, to, from) {
                let members: BTreeSet<&str> = back.iter().copied().collect();
                if reported.insert(members) {
                    let mut circle = vec![from];
                    circle.extend(back);
                    let steps: Vec<String> = circle
                        .windows(2)
                        .map(|w| format!("    {} -> {} ({})", w[0], w[1], evidence[&(w[0], w[1])]))
                        .collect();
                    circles.push(format!("  {}\n{}", circle.join(" -> "), steps.join("\n")));
                }
            }
        }
    }
    assert!(
        circles.is_empty(),
        "top-level modules import each other in a circle:\n{}\n\nthe whole graph:\n{}",
        circles.join("\n"),
        drawn.join("\n")
    );
}

/// The storage seam is engine-neutral: only each backend names its engine's client crates (the
/// SQLite backend and its schema `rusqlite`; the PostgreSQL backend `postgres`, `r2d2` and their
/// kin), so no signature or error above it carries an engine's type.
#[test]
fn only_each_backend_names_its_engine_s_crates() {
    struct Engine {
        crates: &'static [&'static str],
        backend: &'static [&'static str],
    }
    let engines = [
        Engine {
            crates: &["rusqlite"],
            backend: &["storage/sqlite", "storage/sqlite.rs"],
        },
        Engine {
            crates: &["postgres", "tokio_postgres", "r2d2", "r2d2_postgres"],
            backend: &["storage/postgres", "storage/postgres.rs"],
        },
    ];
    let crate_root = source_root();
    let mut files = Vec::new();
    rust_files(&crate_root, &mut files);
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&crate_root).expect("under src");
        let code = code_only(&std::fs::read_to_string(&file).expect("source text"));
        for engine in &engines {
            if engine.backend.iter().any(|b| relative.starts_with(b)) {
                continue;
            }
            for (n, line) in code.lines().enumerate() {
                if let Some(name) = engine.crates.iter().find(|c| names_crate(line, c)) {
                    found.push(format!(
                        "{}:{}: {name}: {}",
                        relative.display(),
                        n + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "an engine's crate named outside its backend (map its errors to storage::EngineError):\n{}",
        found.join("\n")
    );
}

/// Whether `line` names the crate `name`: `name::…` not inside a longer path (so
/// `crate::storage::postgres::PostgresBackend` names the module, not the crate), or
/// `name` alone as a word for crates whose name is no module's (`rusqlite`, `r2d2`).
fn names_crate(line: &str, name: &str) -> bool {
    let is_path_char = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
    line.match_indices(name).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = &line[at + name.len()..];
        let starts_a_word = before.is_none_or(|c| !is_path_char(c));
        let as_path = after.starts_with("::");
        let as_word = !after.starts_with(|c: char| c.is_alphanumeric() || c == '_');
        starts_a_word && (as_path || (name != "postgres" && as_word))
    })
}

#[test]
fn a_crate_is_told_from_a_module_of_the_same_name() {
    assert!(names_crate("use postgres::Client;", "postgres"));
    assert!(names_crate("fn f(e: postgres::Error) {}", "postgres"));
    assert!(!names_crate(
        "use crate::storage::postgres::PostgresBackend;",
        "postgres"
    ));
    assert!(!names_crate("/// the postgres backend", "postgres"));
    assert!(names_crate("use rusqlite::Connection;", "rusqlite"));
    assert!(names_crate("let e: rusqlite::Error;", "rusqlite"));
    assert!(names_crate("type P = r2d2::Pool<M>;", "r2d2"));
    assert!(!names_crate("type P = r2d2_postgres::Manager;", "r2d2"));
}

/// The test reads itself too: a reference it cannot resolve is a failure, not a silent pass.
#[test]
fn the_reader_finds_references_of_every_form() {
    let text = "use crate::storage::Storage;\n\
                use crate::{lang::Lang, access};\n\
                // use crate::http::Error;\n\
                const S: &str = \"crate::dashboard\";\n\
                mod tests { use super::*; use super::super::super::web::AppState; }\n\
                fn f() { crate::config::Limits::default(); let _c = 'x'; }\n\
                pub(crate) fn g<'a>(_: &'a str) {}\n";
    let found: Vec<(String, usize)> = references_in(text, &["dashboard".into(), "pages".into()]);
    assert_eq!(
        found,
        vec![
            ("storage".to_owned(), 1),
            ("lang".to_owned(), 2),
            ("access".to_owned(), 2),
            ("web".to_owned(), 5),
            ("config".to_owned(), 6),
        ]
    );
}

fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

fn layer_order() -> String {
    let names: Vec<String> = LAYERS
        .iter()
        .map(|(name, modules)| format!("{name} [{}]", modules.join(", ")))
        .collect();
    names.join(" → ")
}

/// The modules `lib.rs` declares.
fn top_level_modules(crate_root: &Path) -> Vec<String> {
    let lib = std::fs::read_to_string(crate_root.join("lib.rs")).expect("lib.rs");
    lib.lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line
                .strip_prefix("pub mod ")
                .or(line.strip_prefix("mod "))?;
            Some(rest.strip_suffix(';')?.trim().to_owned())
        })
        .collect()
}

/// What `lib.rs` re-exports at the root (`pub use config::Settings;`), by the module it is from.
fn root_reexports(crate_root: &Path) -> BTreeMap<String, String> {
    let lib = std::fs::read_to_string(crate_root.join("lib.rs")).expect("lib.rs");
    lib.lines()
        .filter_map(|line| {
            let path = line.trim().strip_prefix("pub use ")?.strip_suffix(';')?;
            let (module, _) = path.split_once("::")?;
            let (_, name) = path.rsplit_once("::")?;
            Some((name.to_owned(), module.to_owned()))
        })
        .collect()
}

/// Every reference from a file of one top-level module to another top-level module.
fn references_between_modules(crate_root: &Path) -> Vec<Reference> {
    let modules = top_level_modules(crate_root);
    let reexports = root_reexports(crate_root);
    let mut files = Vec::new();
    rust_files(crate_root, &mut files);
    files.sort();
    let mut references = Vec::new();
    let mut unresolved = Vec::new();
    for file in files {
        let relative = file.strip_prefix(crate_root).expect("under src");
        let module_path = module_path(relative);
        let Some(own) = module_path.first().cloned() else {
            continue; // lib.rs and main.rs compose the crate; they stand above every layer.
        };
        let text = std::fs::read_to_string(&file).expect("source text");
        for (name, line) in references_in(&text, &module_path) {
            let target = if modules.contains(&name) {
                name
            } else if let Some(module) = reexports.get(&name) {
                module.clone()
            } else {
                unresolved.push(format!("{}:{line}: crate::{name}", file.display()));
                continue;
            };
            if target != own {
                references.push(Reference {
                    from_module: own.clone(),
                    to_module: target,
                    file: relative.to_path_buf(),
                    line,
                });
            }
        }
    }
    assert!(
        unresolved.is_empty(),
        "names at the crate root that are no top-level module:\n{}",
        unresolved.join("\n")
    );
    references
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `storage/sqlite/pool.rs` → `[storage, sqlite, pool]`; `http/mod.rs` → `[http]`; `lib.rs` → `[]`.
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        parts.clear();
    }
    parts
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    PathSeparator,
    Other(char),
}

/// The names at the crate root that `text`, the source of the module at `module_path`, reaches
/// by `crate::name`, `crate::{name, …}` or `super::`/`self::` paths climbing to the root, with
/// their lines. Comments and string literals are not code and are skipped.
fn references_in(text: &str, module_path: &[String]) -> Vec<(String, usize)> {
    let tokens = tokens(&code_only(text));
    let mut found = Vec::new();
    let mut inline_modules: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < tokens.len() {
        let (token, line) = &tokens[i];
        match token {
            Token::Other('{') => depth += 1,
            Token::Other('}') => {
                if inline_modules.last().is_some_and(|(_, d)| *d == depth) {
                    inline_modules.pop();
                }
                depth -= 1;
            }
            Token::Word(w) if w == "mod" => {
                if let (Some((Token::Word(name), _)), Some((Token::Other('{'), _))) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                {
                    inline_modules.push((name.clone(), depth + 1));
                }
            }
            Token::Word(w) if ["crate", "super", "self"].contains(&w.as_str()) => {
                let starts_path =
                    i == 0 || !matches!(tokens[i - 1].0, Token::PathSeparator | Token::Other('$'));
                if starts_path {
                    let mut position: Vec<String> = module_path
                        .iter()
                        .cloned()
                        .chain(inline_modules.iter().map(|(name, _)| name.clone()))
                        .collect();
                    let mut segment = w.as_str();
                    let mut j = i;
                    loop {
                        match segment {
                            "crate" => position.clear(),
                            "super" => {
                                position.pop();
                            }
                            _ => {}
                        }
                        match (tokens.get(j + 1), tokens.get(j + 2)) {
                            (Some((Token::PathSeparator, _)), Some((Token::Word(next), _)))
                                if next == "super" || next == "self" =>
                            {
                                segment = next;
                                j += 2;
                            }
                            _ => break,
                        }
                    }
                    if position.is_empty()
                        && matches!(tokens.get(j + 1), Some((Token::PathSeparator, _)))
                    {
                        match tokens.get(j + 2) {
                            Some((Token::Word(name), _)) => found.push((name.clone(), *line)),
                            Some((Token::Other('{'), _)) => {
                                found.extend(group_heads(&tokens[j + 3..]).map(|n| (n, *line)));
                            }
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// The first name of each entry of a `{a::b, c, d::{e, f}}` group, given the tokens after `{`.
fn group_heads(tokens: &[(Token, usize)]) -> impl Iterator<Item = String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut at_entry_start = true;
    for (token, _) in tokens {
        match token {
            Token::Other('{') => depth += 1,
            Token::Other('}') if depth == 0 => break,
            Token::Other('}') => depth -= 1,
            Token::Other(',') if depth == 0 => at_entry_start = true,
            Token::Word(w) if at_entry_start && depth == 0 => {
                if w != "self" {
                    heads.push(w.clone());
                }
                at_entry_start = false;
            }
            _ => {}
        }
    }
    heads.into_iter()
}

/// Words, `::` and single punctuation characters, each with its line.
fn tokens(code: &str) -> Vec<(Token, usize)> {
    let chars: Vec<char> = code.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push((Token::Word(chars[start..i].iter().collect()), line));
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            tokens.push((Token::PathSeparator, line));
            i += 2;
        } else {
            tokens.push((Token::Other(c), line));
            i += 1;
        }
    }
    tokens
}

/// `text` with comments, string literals and character literals blanked out (lines kept).
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, from: &[char]| {
        out.extend(from.iter().map(|&c| if c == '\n' { '\n' } else { ' ' }));
    };
    let mut i = 0;
    while i < chars.len() {
        let rest = &chars[i..];
        let previous_is_word = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if rest.starts_with(&['/', '/']) {
            let end = rest.iter().position(|&c| c == '\n').unwrap_or(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest.starts_with(&['/', '*']) {
            let mut nesting = 0;
            let mut end = 0;
            while end < rest.len() {
                if rest[end..].starts_with(&['/', '*']) {
                    nesting += 1;
                    end += 2;
                } else if rest[end..].starts_with(&['*', '/']) {
                    nesting -= 1;
                    end += 2;
                    if nesting == 0 {
                        break;
                    }
                } else {
                    end += 1;
                }
            }
            blank(&mut out, &rest[..end.min(rest.len())]);
            i += end;
        } else if !previous_is_word && raw_string_hashes(rest).is_some() {
            let (prefix, hashes) = raw_string_hashes(rest).expect("checked");
            let mut closing = vec!['"'];
            closing.extend(std::iter::repeat_n('#', hashes));
            let body = prefix + hashes + 1;
            let end = (body..rest.len())
                .find(|&k| rest[k..].starts_with(&closing))
                .map_or(rest.len(), |k| k + closing.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if c_is(rest, '"') {
            let mut end = 1;
            while end < rest.len() && rest[end] != '"' {
                end += if rest[end] == '\\' { 2 } else { 1 };
            }
            let end = (end + 1).min(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if c_is(rest, '\'') {
            // A character literal ('x', '\n', '\u{1F600}'), or else a lifetime's quote.
            let end = if rest.get(1) == Some(&'\\') {
                rest.iter().skip(2).position(|&c| c == '\'').map(|k| k + 3)
            } else if rest.get(2) == Some(&'\'') {
                Some(3)
            } else {
                None
            };
            match end {
                Some(end) => {
                    blank(&mut out, &rest[..end]);
                    i += end;
                }
                None => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn c_is(rest: &[char], c: char) -> bool {
    rest.first() == Some(&c)
}

/// For a raw string's start (`r"`, `r#"`, `br##"`): the prefix's length and the number of `#`.
fn raw_string_hashes(rest: &[char]) -> Option<(usize, usize)> {
    let prefix = if rest.starts_with(&['b', 'r']) {
        2
    } else if rest.starts_with(&['r']) {
        1
    } else {
        return None;
    };
    let hashes = rest[prefix..].iter().take_while(|&&c| c == '#').count();
    (rest.get(prefix + hashes) == Some(&'"')).then_some((prefix, hashes))
}

/// A path of imports from `from` to `to`, `to` included, if there is one (breadth first).
fn path<'a>(
    graph: &BTreeMap<&'a str, BTreeSet<&'a str>>,
    from: &'a str,
    to: &'a str,
) -> Option<Vec<&'a str>> {
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = VecDeque::from([from]);
    let mut seen = BTreeSet::from([from]);
    while let Some(node) = queue.pop_front() {
        if node == to {
            let mut steps = vec![to];
            let mut at = to;
            while at != from {
                at = came_from[at];
                steps.push(at);
            }
            steps.reverse();
            return Some(steps);
        }
        for &next in graph.get(node).into_iter().flatten() {
            if seen.insert(next) {
                came_from.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    None
}
