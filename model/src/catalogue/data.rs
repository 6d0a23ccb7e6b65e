//! The catalogue's content, written from the text of ordinance 4216/2018 (`shared/seed/`).
//!
//! Texts are English gettext msgids; the wording clients see in every language (English included)
//! lives in `i18n/translations/<lang>/LC_MESSAGES/ui.po`. Each reason names the ordinance item it comes
//! from in a `// from:` comment. Standard X (the aggressive client) is never asked, so it has no
//! question and no reasons.

use super::{Rateability, Reason, ReasonKind, Standard, StandardId};

use ReasonKind::{AvoidHappened as Avoid, RememberNotKept as Remember};

pub(super) static STANDARDS: [Standard; 13] = [
    Standard {
        id: StandardId::I,
        title_pl: "reprezentacja Urzędu na zewnątrz",
        short_title: "Representing the office",
        rateability: Rateability::Clients,
        question: "Were you greeted and helped, even with a matter for another desk?",
        reasons: &[
            // from: Witaj się z Klientami i współpracownikami, których spotykasz w budynku Urzędu.
            Reason {
                code: "i-not-greeted",
                kind: Remember,
                text: "Nobody greeted me",
            },
            // from: Udzielaj wyczerpujących informacji na temat pracy Urzędu.
            Reason {
                code: "i-incomplete-info",
                kind: Remember,
                text: "Incomplete information about the office",
            },
            // from: Staraj się pomagać, nawet jeśli dana sprawa nie wchodzi w zakres Twoich obowiązków.
            Reason {
                code: "i-not-my-job",
                kind: Remember,
                text: "No help: “not my job”",
            },
            // from: W każdej sytuacji zachowuj się zgodnie z zasadami kultury osobistej.
            Reason {
                code: "i-impolite",
                kind: Remember,
                text: "Impolite behaviour",
            },
            // from: Nie wygłaszaj negatywnych opinii na temat pracy Urzędu, swojej lub innych komórek organizacyjnych oraz współpracowników.
            Reason {
                code: "i-negative-talk",
                kind: Avoid,
                text: "Negative talk about the office or staff",
            },
            // from: Nie przekazuj niesprawdzonych informacji na temat pracy Urzędu, których wiarygodność jest trudna do zweryfikowania.
            Reason {
                code: "i-unchecked-info",
                kind: Avoid,
                text: "Unchecked or uncertain information",
            },
        ],
    },
    Standard {
        id: StandardId::II,
        title_pl: "wygląd zewnętrzny pracownika",
        short_title: "Staff appearance",
        rateability: Rateability::Clients,
        question: "Did the staff member look neat, with a visible name badge?",
        reasons: &[
            // from: Umieść w widocznym miejscu identyfikator z Twoim imieniem.
            Reason {
                code: "ii-no-badge",
                kind: Remember,
                text: "No visible name badge",
            },
            // from: Utrzymuj schludny, budzący zaufanie wygląd, niewywołujący negatywnych odczuć i skojarzeń.
            Reason {
                code: "ii-untidy",
                kind: Remember,
                text: "Untidy appearance",
            },
            // from: Nie noś strojów niedostosowanych do powagi Urzędu, np. sportowych, krótkich spodenek lub spódniczek, szortów, [...] kłapek.
            Reason {
                code: "ii-unsuitable-clothes",
                kind: Avoid,
                text: "Clothes unsuitable for an office",
            },
            // from: Nie używaj ubrań i obuwia o jaskrawych, rzucających się w oczy kolorach lub wzorach. / Nie używaj intensywnego, wyzywającego makijażu.
            Reason {
                code: "ii-flashy",
                kind: Avoid,
                text: "Flashy clothes or make-up",
            },
            // from: Nie stosuj kosmetyków o intensywnych zapachach.
            Reason {
                code: "ii-strong-scent",
                kind: Avoid,
                text: "Strong perfume or scent",
            },
        ],
    },
    Standard {
        id: StandardId::III,
        title_pl: "organizacja i estetyka stanowiska pracy",
        short_title: "Workstation",
        rateability: Rateability::Clients,
        question: "Was the desk tidy, with the forms and leaflets you needed at hand?",
        reasons: &[
            // from: Utrzymuj czystość i porządek na stanowisku pracy.
            Reason {
                code: "iii-untidy",
                kind: Remember,
                text: "The desk was untidy",
            },
            // from: Przechowuj aktualne ulotki i formularze, akty prawne oraz dokumenty związane z bieżącymi sprawami w miejscu łatwo dostępnym.
            Reason {
                code: "iii-outdated-forms",
                kind: Remember,
                text: "Outdated forms or leaflets",
            },
            // from: Nie dopuszczaj do powstawania trudności z odnalezieniem podstawowych informacji, dokumentów, ulotek lub formularzy.
            Reason {
                code: "iii-hard-to-find",
                kind: Avoid,
                text: "Staff struggled to find papers or forms",
            },
            // from: Nie przechowuj przedmiotów niezwiązanych z wykonywaną pracą w miejscach widocznych dla Klienta (np. rzeczy osobistych).
            Reason {
                code: "iii-personal-items",
                kind: Avoid,
                text: "Personal items on display",
            },
            // from: Nie rozpraszaj uwagi podczas załatwiania spraw Klienta (np. zbyt głośne słuchanie muzyki, hałasy [...], zwracanie uwagi na rozmowy współpracowników).
            Reason {
                code: "iii-distractions",
                kind: Avoid,
                text: "Noise or music distracted from my case",
            },
        ],
    },
    Standard {
        id: StandardId::IV,
        title_pl: "obsługa Klienta w kontakcie bezpośrednim",
        short_title: "Direct service",
        rateability: Rateability::Clients,
        question: "Was the staff member kind and attentive, and did they explain things clearly?",
        reasons: &[
            // from: Okazuj każdemu Klientowi życzliwość i należyty szacunek.
            Reason {
                code: "iv-unfriendly",
                kind: Remember,
                text: "Staff were unfriendly or disrespectful",
            },
            // from: Traktuj Klientów w jednakowy sposób, niezależnie od ich wyglądu lub statusu społecznego.
            Reason {
                code: "iv-unequal-treatment",
                kind: Remember,
                text: "I was treated worse than others",
            },
            // from: Wysłuchaj Klienta, nie przerywaj jego wypowiedzi.
            Reason {
                code: "iv-interrupted",
                kind: Remember,
                text: "I was interrupted",
            },
            // from: Udziel poprawnej merytorycznie i wyczerpującej informacji na temat sposobu załatwienia danej sprawy (potrzebne dokumenty, miejsce i sposób ich złożenia, termin realizacji danej usługi itp.).
            Reason {
                code: "iv-unclear-info",
                kind: Remember,
                text: "Not told what to bring, where or by when",
            },
            // from: Jeśli musisz opuścić stanowisko pracy – wyjaśnij powód i określ szacunkowy czas nieobecności.
            Reason {
                code: "iv-left-without-explanation",
                kind: Remember,
                text: "Staff left the desk without a word",
            },
            // from: Pamiętaj, że Twoim priorytetem jest bezpośrednia obsługa Klienta. Jeśli podczas obsługi musisz odebrać połączenie – skróć rozmowę telefoniczną do minimum [...] i niezwłocznie powróć do obsługi bezpośredniej.
            Reason {
                code: "iv-long-call",
                kind: Remember,
                text: "A long phone call while serving me",
            },
            // from: Nie używaj zbyt specjalistycznego, hermetycznego, niezrozumiałego języka (pojęć, definicji, nazw procedur lub aktów prawnych) podczas rozmowy z Klientem.
            Reason {
                code: "iv-jargon",
                kind: Avoid,
                text: "Too much jargon",
            },
            // from: Nie omawiaj spraw Klienta w obecności osób trzecich, w tym innych interesantów.
            Reason {
                code: "iv-discussed-in-front-of-others",
                kind: Avoid,
                text: "My case was discussed in front of others",
            },
            // from: Nie odbieraj prywatnego telefonu i nie prowadź prywatnych rozmów podczas obsługi Klienta.
            Reason {
                code: "iv-private-call",
                kind: Avoid,
                text: "Private calls or chats during my visit",
            },
            // from: Nie spożywaj posiłków w obecności Klienta.
            Reason {
                code: "iv-eating",
                kind: Avoid,
                text: "Eating in front of me",
            },
            // from: Nie zwracaj Klientowi uwagi na jego postawy i zachowania.
            Reason {
                code: "iv-remarks-on-behaviour",
                kind: Avoid,
                text: "Remarks about my manner or behaviour",
            },
        ],
    },
    Standard {
        id: StandardId::V,
        title_pl: "obsługa klienta podczas rozmowy telefonicznej",
        short_title: "Telephone service",
        rateability: Rateability::Clients,
        question: "If you phoned the office, was the call answered quickly and handled politely?",
        reasons: &[
            // from: Odbieraj telefon nie później niż po trzecim sygnale.
            Reason {
                code: "v-slow-answer",
                kind: Remember,
                text: "The phone rang for a long time",
            },
            // from: Niezwłocznie oddzwoń w przypadku braku możliwości odebrania telefonu. / Oddzwoń do klienta bez zbędnej zwłoki [...].
            Reason {
                code: "v-no-callback",
                kind: Remember,
                text: "Nobody called me back",
            },
            // from: Po odebraniu lub wykonaniu telefonu do Klienta – przedstaw się [...].
            Reason {
                code: "v-no-introduction",
                kind: Remember,
                text: "The person did not say who they were",
            },
            // from: Okazuj Klientowi życzliwość i zainteresowanie. „Uśmiechaj się” przez telefon.
            Reason {
                code: "v-unfriendly",
                kind: Remember,
                text: "Unfriendly tone on the phone",
            },
            // from: W przypadku konieczności przełączenia rozmowy – [...] poinformuj Klienta, że rozmowa zostanie przełączona wraz z podaniem nazwy komórki organizacyjnej [...].
            Reason {
                code: "v-transferred-blindly",
                kind: Remember,
                text: "Transferred without being told where",
            },
            // from: Skoncentruj się na rozmowie z Klientem, nie rozpraszaj uwagi. Nie wykonuj czynności niezwiązanych z załatwianiem danej sprawy podczas rozmowy.
            Reason {
                code: "v-distracted",
                kind: Avoid,
                text: "The person was distracted",
            },
            // from: Zadbaj, aby Klient nie usłyszał przez telefon treści innych rozmów, np. prowadzonych przez współpracowników.
            Reason {
                code: "v-other-conversations",
                kind: Avoid,
                text: "I could hear other conversations",
            },
        ],
    },
    Standard {
        id: StandardId::VI,
        title_pl: "komunikacja elektroniczna i świadczenie e-usług",
        short_title: "E-mail and e-services",
        rateability: Rateability::Clients,
        question: "If you e-mailed the office, did you get a prompt, polite and clear reply?",
        reasons: &[
            // from: Udziel odpowiedzi na wiadomości przesłane pocztą elektroniczną nie później niż 24 godziny od ich otrzymania (termin obowiązuje wyłącznie w dni robocze).
            Reason {
                code: "vi-late-reply",
                kind: Remember,
                text: "No reply within one working day",
            },
            // from: Jeśli udzielenie odpowiedzi wymaga więcej czasu niż 24 godziny – przekaz tę informację Klientowi wraz z określeniem terminu udzielenia odpowiedzi.
            Reason {
                code: "vi-no-reply-date",
                kind: Remember,
                text: "Not told when to expect a reply",
            },
            // from: Używaj form grzecznościowych w korespondencji elektronicznej: powitalnych [...] i pożegnalnych [...].
            Reason {
                code: "vi-impolite",
                kind: Remember,
                text: "No polite greeting or closing",
            },
            // from: Przed wysłaniem sprawdź, czy wiadomość nie zawiera błędów.
            Reason {
                code: "vi-mistakes",
                kind: Avoid,
                text: "The message had mistakes",
            },
            // from: Nie przysyłaj wiadomości bez podpisu i danych kontaktowych.
            Reason {
                code: "vi-no-signature",
                kind: Avoid,
                text: "No signature or contact details",
            },
            // from: Nie przysyłaj wiadomości bez załączników, których przekazanie zostało zapowiedziane w treści.
            Reason {
                code: "vi-missing-attachment",
                kind: Avoid,
                text: "A promised attachment was missing",
            },
            // from: Nie twórz zbyt rozbudowanych wiadomości, o skomplikowanej strukturze.
            Reason {
                code: "vi-too-complicated",
                kind: Avoid,
                text: "The message was too long or complicated",
            },
        ],
    },
    Standard {
        id: StandardId::VII,
        title_pl: "sposób postępowania w sytuacjach trudnych",
        short_title: "Difficult situations",
        rateability: Rateability::Clients,
        question: "If there was a refusal or complaint, was it handled calmly and with understanding?",
        reasons: &[
            // from: W przypadku załatwienia sprawy Klienta w sposób negatywny – niezwłocznie przekaz tę informację w sposób asertywny wraz z uzasadnieniem (podaniem przyczyny i podstawy prawnej).
            Reason {
                code: "vii-no-reason",
                kind: Remember,
                text: "A refusal without a reason given",
            },
            // from: Przekaż informację na temat trybu dalszego postępowania.
            Reason {
                code: "vii-no-next-steps",
                kind: Remember,
                text: "Not told what I can do next",
            },
            // from: Przekaż informację o popełnionej przez Urząd pomyłce wraz z przeprosinami [...].
            Reason {
                code: "vii-no-apology",
                kind: Remember,
                text: "No apology for the office’s mistake",
            },
            // from: Nie ulegaj emocjom podczas rozmowy.
            Reason {
                code: "vii-lost-temper",
                kind: Avoid,
                text: "The staff member got irritated",
            },
            // from: Nie pouczaj Klienta, unikaj sugerowania, że jego krytyczna opinia jest nieuzasadniona.
            Reason {
                code: "vii-lectured",
                kind: Avoid,
                text: "I was lectured, not taken seriously",
            },
            // from: Nie okazuj obojętności, ani braku zaangażowania.
            Reason {
                code: "vii-indifferent",
                kind: Avoid,
                text: "Indifference, no real effort",
            },
        ],
    },
    Standard {
        id: StandardId::VIII,
        title_pl: "obsługa seniorów, osób z niepełnosprawnościami oraz innych grup zagrożonych wykluczeniem społecznym",
        short_title: "Seniors and people with disabilities",
        rateability: Rateability::Clients,
        question: "Did you get any help you needed, in a way that suited you?",
        reasons: &[
            // from: Przekazuj informacje bez nadmiernego pośpiechu [...].
            Reason {
                code: "viii-rushed",
                kind: Remember,
                text: "Everything was too rushed",
            },
            // from: [...] nie okazuj emocji, np. zniecierpliwienia, irytacji, lekceważenia, litości lub żalu.
            Reason {
                code: "viii-impatience",
                kind: Remember,
                text: "Impatience, irritation or pity",
            },
            // from: Dostosuj sposób obsługi i komunikacji do sytuacji życiowej, stanu zdrowia i możliwości percepcji Klienta.
            Reason {
                code: "viii-hard-to-follow",
                kind: Remember,
                text: "Not explained in a way I could follow",
            },
            // from: Traktuj Klienta podmiotowo, np. zwracaj się bezpośrednio do niego, a nie do osoby towarzyszącej.
            Reason {
                code: "viii-spoke-to-companion",
                kind: Remember,
                text: "They spoke to my companion, not to me",
            },
            // from: Nie okazuj Klientowi, że jest on traktowany na specjalnych zasadach, np. ze względu na sytuację życiową, wiek, stan zdrowia lub niepełnosprawność.
            Reason {
                code: "viii-treated-differently",
                kind: Avoid,
                text: "I was made to feel treated differently",
            },
            // from: Nie utrzymuj pozycji zmuszającej Klienta do patrzenia w górę podczas rozmowy z pracownikiem Urzędu.
            Reason {
                code: "viii-looking-up",
                kind: Avoid,
                text: "I had to look up to talk",
            },
            // from: Nie formułuj negatywnych komentarzy na temat sytuacji życiowej, wieku, niepełnosprawności lub stanu zdrowia Klienta.
            Reason {
                code: "viii-comments",
                kind: Avoid,
                text: "Negative comments on my age or health",
            },
        ],
    },
    Standard {
        id: StandardId::IX,
        title_pl: "obsługa obcokrajowców",
        short_title: "Foreign clients",
        rateability: Rateability::ForeignLanguageClients,
        question: "Were you helped in a language you understand, and treated with respect?",
        reasons: &[
            // from: Po zidentyfikowaniu Klienta obcojęzycznego skieruj go do pracownika Urzędu, który będzie mógł udzielić informacji w tym języku.
            Reason {
                code: "ix-language",
                kind: Remember,
                text: "Nobody could help in my language",
            },
            // from: Dostosuj obsługę do indywidualnych potrzeb Klientów, udziel im pomocy w załatwieniu ich spraw (co - ze względu na barierę językową oraz brak znajomości polskich realiów - może być dla nich bardzo trudne).
            Reason {
                code: "ix-procedures-unexplained",
                kind: Remember,
                text: "Polish procedures were not explained",
            },
            // from: Szanuj odmienność kulturową, religijną [...] Klienta.
            Reason {
                code: "ix-no-respect",
                kind: Remember,
                text: "No respect for my culture or religion",
            },
            // from: Szanuj [...] prywatność i godność osobistą Klienta.
            Reason {
                code: "ix-privacy",
                kind: Remember,
                text: "My privacy or dignity was not respected",
            },
            // from: Nie powielaj stereotypów kulturowych, nie okazuj braku szacunku dla odmienności.
            Reason {
                code: "ix-stereotypes",
                kind: Avoid,
                text: "Stereotypes about my country",
            },
            // from: Nie formułuj negatywnych komentarzy związanych z pochodzeniem, wyglądem, ubiorem lub obyczajami klienta.
            Reason {
                code: "ix-remarks-on-origin",
                kind: Avoid,
                text: "Negative comments on my origin or looks",
            },
        ],
    },
    Standard {
        id: StandardId::X,
        title_pl: "obsługa klienta agresywnego",
        short_title: "Aggressive clients",
        rateability: Rateability::Never,
        question: "",
        reasons: &[],
    },
    Standard {
        id: StandardId::XI,
        title_pl: "obsługa Klienta wewnętrznego",
        short_title: "Internal clients",
        rateability: Rateability::InternalServiceDesks,
        question: "As a colleague, were you served as promptly and kindly as any client?",
        reasons: &[
            // from: Traktuj Klienta wewnętrznego jako równie istotnego, jak zewnętrzny.
            Reason {
                code: "xi-less-important",
                kind: Remember,
                text: "Treated as less important than clients",
            },
            // from: Nawiązuj i buduj dobre relacje ze współpracownikami, okazuj im szacunek i życzliwość.
            Reason {
                code: "xi-unkind",
                kind: Remember,
                text: "No respect or kindness",
            },
            // from: Dziel się wiedzą i doświadczeniem ze współpracownikami. Staraj się pomagać, nawet jeśli dana sprawa nie wchodzi w zakres Twoich obowiązków.
            Reason {
                code: "xi-not-my-job",
                kind: Remember,
                text: "Help refused as “not my job”",
            },
            // from: Szanuj czas swoich współpracowników, sprawnie przekazuj informacje ważne z punktu widzenia wykonywanych zadań.
            Reason {
                code: "xi-time-wasted",
                kind: Remember,
                text: "My time was not respected",
            },
            // from: Nie opóźniaj przekazywania informacji istotnych dla pracy Urzędu.
            Reason {
                code: "xi-information-delayed",
                kind: Avoid,
                text: "Important information came late",
            },
            // from: Unikaj wewnętrznej rywalizacji między komórkami organizacyjnymi oraz myślenia w kategoriach partykularnych interesów.
            Reason {
                code: "xi-rivalry",
                kind: Avoid,
                text: "Rivalry between departments",
            },
        ],
    },
    Standard {
        id: StandardId::XII,
        title_pl: "obsługa przedsiębiorcy",
        short_title: "Entrepreneurs",
        rateability: Rateability::Clients,
        question: "If you came on business, was it handled quickly, with clear and practical advice?",
        reasons: &[
            // from: Dostosuj sposób obsługi do indywidualnych potrzeb Klientów (z podziałem na różne segmenty [...]).
            Reason {
                code: "xii-not-adapted",
                kind: Remember,
                text: "Not suited to my type of business",
            },
            // from: W uzasadnionych przypadkach – zaproponuj spotkanie w celu załatwienia danej sprawy (np. rozwiązania problemu).
            Reason {
                code: "xii-no-meeting",
                kind: Remember,
                text: "No meeting was offered",
            },
            // from: Aktywnie doradzaj w sprawach związanych z rejestracją i prowadzeniem działalności gospodarczej, w szczególności przekazuj informacje na temat administracyjnych obowiązków [...], aktualnych zmian przepisów itp.
            Reason {
                code: "xii-no-advice",
                kind: Remember,
                text: "No advice on my duties or new rules",
            },
            // from: Zadbaj o szybkość obsługi, przekazuj informacje w możliwie krótkim czasie [...].
            Reason {
                code: "xii-slow",
                kind: Remember,
                text: "It took too long",
            },
            // from: [...] buduj zwięzłe wypowiedzi, skup się na konkretach.
            Reason {
                code: "xii-not-to-the-point",
                kind: Remember,
                text: "Long-winded answers, not to the point",
            },
            // from: Nie powielaj negatywnych stereotypów względem przedsiębiorców.
            Reason {
                code: "xii-stereotypes",
                kind: Avoid,
                text: "Prejudice against business owners",
            },
            // from: Nie pouczaj przedsiębiorców, rzeczowo wskazuj ich błędy (np. w złożonej dokumentacji).
            Reason {
                code: "xii-lectured",
                kind: Avoid,
                text: "I was lectured, not shown my errors",
            },
        ],
    },
    Standard {
        id: StandardId::XIII,
        title_pl: "obsługa w zakresie podatków oraz zarządzania nieruchomościami",
        short_title: "Taxes and property",
        rateability: Rateability::Clients,
        question: "If you had a tax or property matter, was it explained clearly, including any relief?",
        reasons: &[
            // from: Udzielaj poprawnych merytorycznie i wyczerpujących informacji w kwestiach związanych z zarządzaniem nieruchomościami oraz podatkowych [...].
            Reason {
                code: "xiii-incomplete-info",
                kind: Remember,
                text: "Incomplete or incorrect information",
            },
            // from: [...] w tym dotyczących możliwości i warunków skorzystania z ulg podatkowych (np. umorzenie zaległości podatkowych, odroczenie terminu lub rozłożenie na raty [...]).
            Reason {
                code: "xiii-relief-not-mentioned",
                kind: Remember,
                text: "Not told about instalments or relief",
            },
            // from: Umiejętnie przekazuj trudne informacje.
            Reason {
                code: "xiii-bad-news-harshly",
                kind: Remember,
                text: "Bad news was given harshly",
            },
            // from: Staraj się obniżyć poziom emocji klienta i stworzyć przyjazną atmosferę rozmowy.
            Reason {
                code: "xiii-tense-atmosphere",
                kind: Remember,
                text: "Tense, unfriendly atmosphere",
            },
            // from: W razie potrzeby – powołaj się na odpowiednie podstawy prawne.
            Reason {
                code: "xiii-no-legal-basis",
                kind: Remember,
                text: "No legal basis was given",
            },
            // from: Korespondencję pisemną do Klientów opracowuj w sposób zwięzły, ale merytoryczny, używaj prostego i zrozumiałego języka.
            Reason {
                code: "xiii-letter-unclear",
                kind: Remember,
                text: "The letter I got was hard to understand",
            },
        ],
    },
];
