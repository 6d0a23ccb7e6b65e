//! Compiles the kiosk's .slint screens with the bundled translations and element debug info.
//!
//! UI strings carry no gettext context (`@tr("Finish")` is one msgid everywhere); a string that
//! needs one names it explicitly, `@tr("context" => "…")`. Extract them with
//! `slint-tr-extractor --no-default-translation-context`.
//!
//! It also lists every `translations/<lang>/LC_MESSAGES/ui.po` for `ui::translations` (Polish,
//! the default, first), so adding a language needs no code: Slint bundles the same directories.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    write_shipped_translations();
    #[cfg(feature = "screens")]
    compile_screens();
}

/// The .slint screens, with the translations bundled (the `screens` feature).
#[cfg(feature = "screens")]
fn compile_screens() {
    let config = slint_build::CompilerConfiguration::new()
        .with_style("fluent".into())
        .with_bundled_translations("translations")
        .with_default_translation_context(slint_build::DefaultTranslationContext::None)
        .with_debug_info(true);
    slint_build::compile_with_config("kiosk.slint", config).expect("compiling ui/kiosk.slint");
}

/// Writes `$OUT_DIR/shipped_translations.rs`: `(code, include_str!(po file))` for each language
/// directory under `translations/`.
fn write_shipped_translations() {
    let root = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"))
        .join("translations");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut languages: Vec<(String, String)> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("reading {}: {e}", root.display()))
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let po = entry.path().join("LC_MESSAGES").join("ui.po");
            let code = entry.file_name().to_str()?.to_owned();
            po.is_file().then(|| (code, po.display().to_string()))
        })
        .collect();
    for (_, po) in &languages {
        println!("cargo:rerun-if-changed={po}");
    }
    languages.sort_by_key(|(code, _)| (code != "pl", code.clone()));
    let mut out = String::from("&[\n");
    for (code, po) in &languages {
        let _ = writeln!(out, "    ({code:?}, include_str!({po:?})),");
    }
    out.push_str("]\n");
    let target =
        Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("shipped_translations.rs");
    std::fs::write(&target, out).unwrap_or_else(|e| panic!("writing {}: {e}", target.display()));
}
