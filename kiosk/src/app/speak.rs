//! What read-aloud says on each screen, in the language on screen: the question, then the choices
//! the screen offers, as it shows them (EN 301 549 5.1.3.14).

use model::Catalogue;
use ui::translations::{Catalog, Translations};

use crate::recorder::Health;
use crate::visit::{Step, Visit};

/// The faces, as labelled on screen.
const FACES: [&str; 4] = ["Very bad", "Bad", "Good", "Very good"];

/// The text to speak for the screen the visit is on.
pub fn utterance(visit: &Visit, health: &Health) -> String {
    let translations = Translations::bundled();
    let catalog = translations.get(visit.language());
    let ui = |msgid: &'static str| -> String {
        catalog
            .and_then(|c| c.translation(None, msgid))
            .unwrap_or(msgid)
            .to_owned()
    };
    let catalogue = Catalogue::ordinance_4216_2018();
    let faces = || FACES.iter().map(|f| ui(f)).collect::<Vec<_>>();
    let parts: Vec<String> = match (health, visit.step()) {
        (Health::OutOfService(_), _) => vec![
            ui("Temporarily out of service"),
            ui("Please ask at the desk."),
        ],
        (Health::Ready, Step::Home) => {
            vec![ui("How would you rate the service today?"), list(&faces())]
        }
        (Health::Ready, Step::ChangeAnswer) => {
            vec![ui("Choose your answer again"), list(&faces())]
        }
        (Health::Ready, Step::AskMore { can_change_answer }) => {
            let mut choices = vec![ui("Yes"), ui("Finish")];
            if *can_change_answer {
                choices.push(ui("Change my answer"));
            }
            vec![
                ui("Thank you!"),
                ui("Tell us more? (about 30 seconds)"),
                list(&choices),
            ]
        }
        (Health::Ready, Step::Question { standard }) => {
            let standard = catalogue.standard(*standard);
            let mut choices = faces();
            choices.push(ui("Skip"));
            vec![
                translate(catalog, &standard.question_context(), standard.question),
                list(&choices),
            ]
        }
        (Health::Ready, Step::Reasons { standard, .. }) => {
            let standard = catalogue.standard(*standard);
            let mut choices: Vec<String> = standard
                .reasons
                .iter()
                .map(|r| translate(catalog, &r.context(), r.text))
                .collect();
            choices.push(ui("Done"));
            vec![
                ui("What went wrong?"),
                ui("Choose any that apply"),
                list(&choices),
            ]
        }
        (Health::Ready, Step::ThankYou) => {
            vec![ui("Thank you for your opinion!"), ui("Have a good day.")]
        }
    };
    parts
        .into_iter()
        .map(sentence)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The spoken idle warning: the question on the prompt and the way to get more time. (The
/// seconds left are on screen; a spoken count would need the languages' plural rules.)
pub fn idle_warning(visit: &Visit) -> String {
    let translations = Translations::bundled();
    let catalog = translations.get(visit.language());
    ["Need more time?", "More time"]
        .into_iter()
        .map(|msgid| {
            sentence(
                catalog
                    .and_then(|c| c.translation(None, msgid))
                    .unwrap_or(msgid)
                    .to_owned(),
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn translate(catalog: Option<&Catalog>, context: &str, msgid: &'static str) -> String {
    catalog.map_or(msgid, |c| c.tr(context, msgid)).to_owned()
}

/// Choices read one after another, with a pause between them.
fn list(choices: &[String]) -> String {
    choices.join(", ")
}

/// Ends `text` with a full stop unless it already ends a sentence.
fn sentence(text: String) -> String {
    if text.ends_with(['.', '?', '!']) {
        text
    } else {
        format!("{text}.")
    }
}
