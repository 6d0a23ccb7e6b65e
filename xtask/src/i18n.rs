//! `cargo xtask i18n`: regenerates the translation template and merges it into every language's .po.
//!
//! The template `i18n/translations/ocena.pot` holds the `@tr` strings of the .slint files (extracted by
//! `slint-tr-extractor`, installed with `cargo install` when missing) followed by the standards
//! catalogue (from [`model::Catalogue`]), the language's own name and the texts the kiosk only
//! speaks ([`ui::spoken`]). Each
//! `i18n/translations/<lang>/LC_MESSAGES/ui.po` (as [`i18n::directory::po_files`] lists them) is
//! then updated with `msgmerge` (new strings appear
//! untranslated, changed ones fuzzy, removed ones are dropped), and a summary says what is left to
//! translate. See `i18n/translations/README.md`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use model::{Catalogue, Rateability, ReasonKind};

/// The extractor must match the Slint version the `ui` crate compiles with (`Cargo.toml`).
const EXTRACTOR_VERSION: &str = "1.18.1";

/// Regenerates `ocena.pot` and merges it into every shipped .po file of this workspace.
pub fn run() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("xtask has no parent directory")?;
    run_in(root)
}

/// [`run`] for the workspace at `root`.
pub fn run_in(root: &Path) -> anyhow::Result<()> {
    let ui = root.join("ui");
    let translations = root.join("i18n").join("translations");
    ensure_extractor()?;
    require_tool("msgmerge")?;

    let slint_files = slint_files(&ui)?;
    let extracted = translations.join("ocena.pot.tmp");
    let status = Command::new("slint-tr-extractor")
        .current_dir(&ui)
        // `ui/build.rs` compiles with `DefaultTranslationContext::None`: a string has a context only
        // when it names one, `@tr("context" => "…")`.
        .arg("--no-default-translation-context")
        .arg("--package-name")
        .arg("ocena")
        .arg("-o")
        .arg(&extracted)
        .args(&slint_files)
        .status()
        .context("cannot run slint-tr-extractor")?;
    if !status.success() {
        bail!("slint-tr-extractor failed: {status}");
    }
    let ui_part = std::fs::read_to_string(&extracted)
        .with_context(|| format!("cannot read {}", extracted.display()))?;
    std::fs::remove_file(&extracted)
        .with_context(|| format!("cannot remove {}", extracted.display()))?;

    let pot_path = translations.join("ocena.pot");
    let pot = without_creation_date(&ui_part) + &catalogue_entries() + &spoken_entries();
    std::fs::write(&pot_path, pot)
        .with_context(|| format!("cannot write {}", pot_path.display()))?;
    println!(
        "wrote {} ({} .slint files + the catalogue)",
        pot_path.display(),
        slint_files.len()
    );

    let po_files = i18n::directory::po_files(&translations)
        .with_context(|| format!("cannot read {}", translations.display()))?;
    for (_, po) in po_files {
        merge(&po, &pot_path)?;
    }
    Ok(())
}

/// Installs `slint-tr-extractor` in the pinned version unless it is already on the PATH.
fn ensure_extractor() -> anyhow::Result<()> {
    let installed = Command::new("slint-tr-extractor").arg("--version").output();
    if let Ok(out) = installed
        && String::from_utf8_lossy(&out.stdout).contains(EXTRACTOR_VERSION)
    {
        return Ok(());
    }
    println!("installing slint-tr-extractor {EXTRACTOR_VERSION} (cargo install)");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "install",
            "--locked",
            "slint-tr-extractor",
            "--version",
            EXTRACTOR_VERSION,
        ])
        .status()
        .context("cannot run cargo install")?;
    if !status.success() {
        bail!("cargo install slint-tr-extractor failed: {status}");
    }
    Ok(())
}

fn require_tool(tool: &str) -> anyhow::Result<()> {
    match Command::new(tool).arg("--version").output() {
        Ok(out) if out.status.success() => Ok(()),
        _ => bail!("{tool} not found: install gettext (apt-get install gettext)"),
    }
}

/// Every .slint file under `ui/`, relative to it and sorted, so the template is reproducible.
fn slint_files(ui: &Path) -> anyhow::Result<Vec<PathBuf>> {
    fn walk(dir: &Path, ui: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
        for entry in
            std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                if !path.ends_with("target") {
                    walk(&path, ui, out)?;
                }
            } else if path.extension().is_some_and(|e| e == "slint") {
                out.push(path.strip_prefix(ui)?.to_owned());
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(ui, ui, &mut files)?;
    files.sort();
    Ok(files)
}

/// Drops the extractor's `POT-Creation-Date` so an unchanged UI gives an unchanged template.
fn without_creation_date(pot: &str) -> String {
    pot.lines()
        .filter(|line| !line.starts_with("\"POT-Creation-Date:"))
        .fold(String::new(), |mut out, line| {
            out.push_str(line);
            out.push('\n');
            out
        })
}

/// The catalogue and the language's own name as template entries, with notes for translators.
fn catalogue_entries() -> String {
    let mut out = String::new();
    entry(
        &mut out,
        "This language's own name, as shown on the kiosk's language button: Polski, English, \
         Українська, Deutsch.",
        "language",
        "native name",
    );
    for standard in Catalogue::ordinance_4216_2018().standards() {
        let about = format!("Standard {} – {}", standard.id, standard.title_pl);
        entry(
            &mut out,
            &format!("{about}. Short title for staff screens and reports."),
            &standard.title_context(),
            standard.short_title,
        );
        if standard.rateability == Rateability::Never {
            continue;
        }
        entry(
            &mut out,
            &format!("{about}. Question on the kiosk: plain, polite, at most 90 characters."),
            &standard.question_context(),
            standard.question,
        );
        for reason in standard.reasons {
            let origin = match reason.kind {
                ReasonKind::RememberNotKept => "a \"Pamiętaj\" (Remember) item that was not kept",
                ReasonKind::AvoidHappened => "an \"Unikaj\" (Avoid) item that happened",
            };
            entry(
                &mut out,
                &format!(
                    "{about}. Reason chip after a low score, {origin}; the client's point of \
                     view, at most 40 characters."
                ),
                &reason.context(),
                reason.text,
            );
        }
    }
    out
}

/// The texts the kiosk only speaks (button hints, control states, confirmations), with their notes.
fn spoken_entries() -> String {
    let mut out = String::new();
    for spoken in ui::spoken::ALL {
        entry(&mut out, spoken.note, ui::spoken::CONTEXT, spoken.msgid);
    }
    out
}

fn entry(out: &mut String, comment: &str, context: &str, msgid: &str) {
    let _ = write!(
        out,
        "\n#. {comment}\nmsgctxt {}\nmsgid {}\nmsgstr \"\"\n",
        quote(context),
        quote(msgid)
    );
}

/// A PO string literal with C escapes.
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Merges the template into one .po, drops obsolete entries and reports what is left to do.
fn merge(po: &Path, pot: &Path) -> anyhow::Result<()> {
    let run = |command: &mut Command| -> anyhow::Result<std::process::Output> {
        let out = command
            .output()
            .with_context(|| format!("cannot run {command:?}"))?;
        if !out.status.success() {
            bail!(
                "{command:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(out)
    };
    run(Command::new("msgmerge")
        .args(["--quiet", "--update", "--backup=none"])
        .arg(po)
        .arg(pot))?;
    run(Command::new("msgattrib")
        .arg("--no-obsolete")
        .arg("--output-file")
        .arg(po)
        .arg(po))?;
    let stats = run(Command::new("msgfmt")
        .args(["--check", "--statistics", "--output-file=/dev/null"])
        .arg(po))?;
    let stats = String::from_utf8_lossy(&stats.stderr);
    println!("{}: {}", po.display(), stats.trim());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_what_po_needs() {
        assert_eq!(quote("a \"b\" \\ c\n\td"), r#""a \"b\" \\ c\n\td""#);
    }

    #[test]
    fn catalogue_entries_cover_every_text_once() {
        let entries = catalogue_entries();
        let catalogue = Catalogue::ordinance_4216_2018();
        for standard in catalogue.standards() {
            let title = format!("msgctxt \"{}\"\n", standard.title_context());
            assert_eq!(entries.matches(&title).count(), 1, "{title}");
            for reason in standard.reasons {
                assert!(entries.contains(&format!("msgctxt \"{}\"\n", reason.context())));
            }
        }
        assert!(
            !entries.contains("msgctxt \"question X\""),
            "X is never asked"
        );
    }

    #[test]
    fn spoken_entries_are_the_shipped_template_s_tail() {
        // The template in the repository ends with them, as `run` writes it.
        let pot = std::fs::read_to_string(Path::new(i18n::TRANSLATIONS_DIR).join("ocena.pot"))
            .expect("ocena.pot");
        let spoken = spoken_entries();
        assert_eq!(
            spoken.matches("msgctxt \"speech\"").count(),
            ui::spoken::ALL.len()
        );
        assert!(
            pot.ends_with(&(catalogue_entries() + &spoken)),
            "ocena.pot is out of date: run `cargo xtask i18n`"
        );
    }
}
