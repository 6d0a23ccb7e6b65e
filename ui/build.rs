//! Compiles the kiosk's .slint screens with the bundled translations and element debug info.
//!
//! UI strings carry no gettext context (`@tr("Finish")` is one msgid everywhere); a string that
//! needs one names it explicitly, `@tr("context" => "…")`. Extract them with
//! `slint-tr-extractor --no-default-translation-context`.
fn main() {
    let config = slint_build::CompilerConfiguration::new()
        .with_style("fluent".into())
        .with_bundled_translations("translations")
        .with_default_translation_context(slint_build::DefaultTranslationContext::None)
        .with_debug_info(true);
    slint_build::compile_with_config("kiosk.slint", config).expect("compiling ui/kiosk.slint");
}
