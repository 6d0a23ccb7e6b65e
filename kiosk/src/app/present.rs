//! Presents the kiosk's state on the Slint window: the only place that writes adapter properties.

use model::Catalogue;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use ui::translations::{Catalog, Translations};
use ui::{KioskAdapter, KioskWindow, LanguageOption, ReasonChip, Screen, Theme};

use crate::config::Config;
use crate::recorder::Health;
use crate::visit::{Step, Visit};

/// Sets what does not change while the kiosk runs: desk name, languages, physical scale.
pub fn setup(window: &KioskWindow, config: &Config) {
    let adapter = window.global::<KioskAdapter>();
    adapter.set_desk_name(config.desk.desk_name.as_str().into());
    let translations = Translations::bundled();
    let languages: Vec<LanguageOption> = config
        .desk
        .languages
        .iter()
        .map(|tag| LanguageOption {
            code: tag.as_str().into(),
            native_name: translations
                .get(tag)
                .map(Catalog::native_name)
                .unwrap_or(tag.as_str())
                .into(),
        })
        .collect();
    adapter.set_languages(ModelRc::new(VecModel::from(languages)));
    let theme = window.global::<Theme>();
    theme.set_px_per_mm(config.display.pixels_per_mm());
    theme.set_px_per_mm_across(config.display.horizontal_pixels_per_mm());
    // Never rely on the system locale: the desk's default language is the starting point.
    select_language(window, &config.desk.default_language);
}

fn select_language(window: &KioskWindow, language: &model::LanguageTag) {
    if let Err(e) = slint::select_bundled_translation(language.as_str()) {
        tracing::error!(%language, %e, "no bundled translation for the chosen language");
    }
    window
        .global::<KioskAdapter>()
        .set_language(language.as_str().into());
}

/// Writes the visit's state to the window.
pub fn present(
    window: &KioskWindow,
    visit: &Visit,
    health: &Health,
    reason_page: usize,
    idle_seconds_left: Option<u32>,
    focused: &str,
) {
    let adapter = window.global::<KioskAdapter>();
    let language = visit.language();
    if adapter.get_language().as_str() != language.as_str() {
        select_language(window, language);
    }
    window
        .global::<Theme>()
        .set_larger_text(visit.larger_text());

    let translations = Translations::bundled();
    let catalog = translations.get(language);
    let tr = |context: &str, msgid: &'static str| -> SharedString {
        catalog
            .map(|c| c.tr(context, msgid))
            .unwrap_or(msgid)
            .into()
    };
    let catalogue = Catalogue::ordinance_4216_2018();

    let screen = match (health, visit.step()) {
        (Health::OutOfService(fault), _) => {
            adapter.set_out_of_service_code(fault.code.into());
            Screen::OutOfService
        }
        (Health::Ready, Step::Home) => Screen::Home,
        (Health::Ready, Step::AskMore { can_change_answer }) => {
            adapter.set_can_change_answer(*can_change_answer);
            Screen::AskMore
        }
        (Health::Ready, Step::ChangeAnswer) => Screen::ChangeAnswer,
        (Health::Ready, Step::Question { standard }) => {
            let standard = catalogue.standard(*standard);
            adapter.set_question(tr(&standard.question_context(), standard.question));
            adapter.set_not_applicable_offered(visit.offers_not_applicable());
            if let Some((number, count)) = visit.progress() {
                adapter.set_question_number(number as i32);
                adapter.set_question_count(count as i32);
            }
            Screen::Question
        }
        (
            Health::Ready,
            Step::Reasons {
                standard, selected, ..
            },
        ) => {
            let standard = catalogue.standard(*standard);
            adapter.set_question(tr(&standard.question_context(), standard.question));
            // The window works out how many chips fit for its size and text mode.
            window
                .global::<Theme>()
                .set_larger_text(visit.larger_text());
            let per_page = usize::try_from(window.get_reasons_per_page())
                .unwrap_or(1)
                .max(1);
            let pages = standard.reasons.len().div_ceil(per_page).max(1);
            let page = reason_page.min(pages - 1);
            let chips: Vec<ReasonChip> = standard
                .reasons
                .iter()
                .skip(page * per_page)
                .take(per_page)
                .map(|reason| ReasonChip {
                    code: reason.code.into(),
                    label: tr(&reason.context(), reason.text),
                    selected: selected.iter().any(|c| c.as_str() == reason.code),
                })
                .collect();
            adapter.set_reasons(ModelRc::new(VecModel::from(chips)));
            adapter.set_reason_page(page as i32);
            adapter.set_reason_page_count(pages as i32);
            Screen::Reasons
        }
        (Health::Ready, Step::ThankYou) => Screen::ThankYou,
    };
    adapter.set_screen(screen);
    adapter.set_recording(visit.is_recording());
    adapter.set_idle_prompt_visible(idle_seconds_left.is_some() && screen != Screen::OutOfService);
    adapter.set_idle_seconds_left(idle_seconds_left.unwrap_or(0) as i32);
    // The ring is drawn only while no prompt covers the screen.
    adapter.set_focused(
        if adapter.get_idle_prompt_visible() {
            ""
        } else {
            focused
        }
        .into(),
    );
}

/// Whether the display is dimmed or off: then a transparent layer takes the next touch as a
/// wake-up only.
pub fn display_asleep(window: &KioskWindow, asleep: bool) {
    window.global::<KioskAdapter>().set_display_asleep(asleep);
}
