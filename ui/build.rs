//! Compiles the kiosk's .slint screens with the bundled translations and element debug info (the
//! `screens` feature; without it there is nothing to build).
//!
//! UI strings carry no gettext context (`@tr("Finish")` is one msgid everywhere); a string that
//! needs one names it explicitly, `@tr("context" => "…")`. Extract them with
//! `slint-tr-extractor --no-default-translation-context`.
//!
//! The translations are the `i18n` crate's .po files (`i18n/translations/<lang>/LC_MESSAGES/ui.po`),
//! the same ones it embeds for the texts Rust translates, so adding a language needs no code here.

fn main() {
    #[cfg(feature = "screens")]
    compile_screens();
}

/// The .slint screens, with the translations bundled (the `screens` feature).
#[cfg(feature = "screens")]
fn compile_screens() {
    let translations = std::path::Path::new(i18n::TRANSLATIONS_DIR);
    println!("cargo:rerun-if-changed={}", translations.display());
    let po_files = i18n::directory::po_files(translations)
        .unwrap_or_else(|e| panic!("reading {}: {e}", translations.display()));
    for (_, po) in po_files {
        println!("cargo:rerun-if-changed={}", po.display());
    }
    let config = slint_build::CompilerConfiguration::new()
        .with_style("fluent".into())
        .with_bundled_translations(translations)
        .with_default_translation_context(slint_build::DefaultTranslationContext::None)
        .with_debug_info(true);
    slint_build::compile_with_config("kiosk.slint", config).expect("compiling ui/kiosk.slint");
}
