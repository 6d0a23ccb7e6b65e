//! The texts the kiosk only says and never shows: how to use the desk's buttons, the state of the
//! control the read-aloud button has moved to, and confirmations. They are gettext msgids with
//! msgctxt [`CONTEXT`] in the same .po files as the screens (`cargo xtask i18n` writes them into
//! the template, with each text's note for translators); the kiosk speaks them with
//! [`crate::translations::Catalog::tr`]. Labels that are also on screen ("Yes", "Larger text")
//! use the screen's own msgid instead.

/// The msgctxt of every spoken-only text.
pub const CONTEXT: &str = "speech";

/// One spoken-only text: the English msgid and a note for translators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spoken {
    pub msgid: &'static str,
    pub note: &'static str,
}

/// After reading a question screen aloud.
pub const ANSWER_WITH_A_FACE: Spoken = Spoken {
    msgid: "Answer with a face button.",
    note: "Spoken after a question is read aloud: the desk has four physical buttons with faces.",
};

/// After reading any screen aloud when the desk's read-aloud button was used.
pub const HOW_TO_MOVE_AND_CHOOSE: Spoken = Spoken {
    msgid: "Press the read-aloud button again to hear the choices one by one. Hold it down to choose.",
    note: "Spoken after a screen is read aloud: each short press of the physical read-aloud \
           button says the next choice; holding the button down for a second chooses it.",
};

/// A reason chip or language that is chosen.
pub const SELECTED: Spoken = Spoken {
    msgid: "{0}, selected",
    note: "Spoken for a reason or language the client has chosen; {0} is its name.",
};

/// A reason chip or language that is not chosen.
pub const NOT_SELECTED: Spoken = Spoken {
    msgid: "{0}, not selected",
    note: "Spoken for a reason or language the client has not chosen; {0} is its name.",
};

/// A switch that is on.
pub const SWITCH_ON: Spoken = Spoken {
    msgid: "{0}, on",
    note: "Spoken for a switch that is on; {0} is its name (\"Larger text\").",
};

/// A switch that is off.
pub const SWITCH_OFF: Spoken = Spoken {
    msgid: "{0}, off",
    note: "Spoken for a switch that is off; {0} is its name (\"Larger text\").",
};

/// Confirms a rating once it is stored.
pub const YOUR_ANSWER: Spoken = Spoken {
    msgid: "Your answer: {0}.",
    note: "Spoken once an answer is saved; {0} is the face's label (\"Very good\") or \"Not applicable\".",
};

/// Confirms reasons once they are stored.
pub const REASONS_SAVED: Spoken = Spoken {
    msgid: "Your reasons are saved.",
    note: "Spoken once the reasons chosen after a low score are saved.",
};

/// Spoken in a language the client may switch to, in that language's voice.
pub const HOLD_TO_CHOOSE_LANGUAGE: Spoken = Spoken {
    msgid: "Hold the button down to choose this language.",
    note: "Spoken in this language's own voice when the client moves to its button, so a \
           speaker of this language understands how to switch to it.",
};

/// A face button pressed where no question is asked.
pub const NO_QUESTION_HERE: Spoken = Spoken {
    msgid: "There is no question to answer here. Press the read-aloud button to hear the choices.",
    note: "Spoken when a physical face button is pressed on a screen without a question (\"Tell \
           us more?\", reasons, thanks): nothing is recorded.",
};

/// Added to the spoken idle warning when the desk has buttons.
pub const ANY_BUTTON_FOR_MORE_TIME: Spoken = Spoken {
    msgid: "Or press any button.",
    note: "Spoken after \"Need more time? More time.\" at desks with physical buttons: any of \
           them gives more time.",
};

/// Confirms that a button press gave more time.
pub const MORE_TIME_GIVEN: Spoken = Spoken {
    msgid: "You have more time.",
    note: "Spoken when a physical button answered \"Need more time?\".",
};

/// Every spoken-only text, for the translation template and its tests.
pub const ALL: &[Spoken] = &[
    ANSWER_WITH_A_FACE,
    HOW_TO_MOVE_AND_CHOOSE,
    SELECTED,
    NOT_SELECTED,
    SWITCH_ON,
    SWITCH_OFF,
    YOUR_ANSWER,
    REASONS_SAVED,
    HOLD_TO_CHOOSE_LANGUAGE,
    NO_QUESTION_HERE,
    ANY_BUTTON_FOR_MORE_TIME,
    MORE_TIME_GIVEN,
];
