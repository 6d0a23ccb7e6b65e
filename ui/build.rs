//! Compiles the kiosk's .slint screens with the bundled translations and element debug info.
fn main() {
    let config = slint_build::CompilerConfiguration::new()
        .with_style("fluent".into())
        .with_bundled_translations("translations")
        .with_debug_info(true);
    slint_build::compile_with_config("kiosk.slint", config).expect("compiling ui/kiosk.slint");
}
