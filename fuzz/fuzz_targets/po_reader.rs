//! The .po reader (`Catalog::parse`, which reads the translations the kiosk shows): any text is
//! a catalog or an error with a line number, never a panic; a parsed catalog answers lookups.

#![no_main]

use libfuzzer_sys::fuzz_target;
use model::LanguageTag;
use ui::translations::Catalog;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(catalog) = Catalog::parse(LanguageTag::polish(), text) {
        for (context, msgid, _) in catalog.entries() {
            let _ = catalog.translation(context, msgid);
        }
        let _ = catalog.untranslated();
        let _ = catalog.native_name();
    }
});
