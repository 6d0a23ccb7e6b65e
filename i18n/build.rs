//! Lists every `translations/<lang>/LC_MESSAGES/ui.po` of this crate (Polish, the default, first)
//! into `$OUT_DIR/shipped_translations.rs` for [`i18n::Translations::bundled`] and
//! [`i18n::LANGUAGES`], so adding a language needs no code.

use std::fmt::Write as _;
use std::path::Path;

#[path = "src/directory.rs"]
mod directory;

fn main() {
    let root = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"))
        .join("translations");
    println!("cargo:rerun-if-changed={}", root.display());
    let languages =
        directory::po_files(&root).unwrap_or_else(|e| panic!("reading {}: {e}", root.display()));
    let mut out = String::from("/// Every shipped language's code, Polish first.\n");
    out.push_str("pub const LANGUAGES: &[&str] = &[");
    for (code, po) in &languages {
        println!("cargo:rerun-if-changed={}", po.display());
        let _ = write!(out, "{code:?}, ");
    }
    out.push_str(
        "];\n\n/// `(code, .po text)` of every shipped language, in [`LANGUAGES`]' order.\n",
    );
    out.push_str("const SHIPPED: &[(&str, &str)] = &[\n");
    for (code, po) in &languages {
        let _ = writeln!(
            out,
            "    ({code:?}, include_str!({:?})),",
            po.display().to_string()
        );
    }
    out.push_str("];\n");
    let target =
        Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("shipped_translations.rs");
    std::fs::write(&target, out).unwrap_or_else(|e| panic!("writing {}: {e}", target.display()));
}
