//! Mailing each department's monthly report to its heads: from the first working day of a month
//! (weekends and Polish public holidays are not working days; the holidays are
//! `crate::holidays`), the previous month's report goes to every enabled
//! `department_viewer` with an e-mail address, in the recipient's language, through the alerts'
//! SMTP relay, with a link to the report's page. Each (recipient, month) is one row, inserted
//! once and claimed in its own committed transaction before the e-mail is sent: a round stopped
//! mid-way (a restart) or a second process sharing the database never sends it again, and a
//! claim whose round died is tried again after its lease. Failed attempts are retried with the
//! alerts' back-off; an admin may make one due again by hand. Runs inside `sync-server serve`.

use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone};
use maud::{Markup, html};

use super::{DepartmentReport, Line, Month};
use crate::access::Scope;
use crate::alerts::delivery::{Channels, Mail};
use crate::analytics::Counts;
use crate::event_time::REPORT_TIME_ZONE;
use crate::holidays::is_working_day;
use crate::lang::Lang;
use crate::presentation::{charts, labels};
use crate::storage::{ReportDelivery, Storage, StorageError};

/// How long a round holds a claimed e-mail: far longer than one SMTP attempt may take (15 s),
/// so a live round never loses its claim; a round that died releases it after this.
pub const CLAIM_LEASE_MS: i64 = 15 * 60_000;
/// E-mails sent per round at most; the rest wait for the next round.
const REPORTS_PER_ROUND: usize = 100;
/// Reasons named in the e-mail (the page lists more).
const REASONS_IN_MAIL: usize = 3;

/// The first working day of `month`.
pub fn first_working_day(month: Month) -> NaiveDate {
    let mut day = month.first();
    while !is_working_day(day) && day < month.last() {
        day = day.succ_opt().unwrap_or(day);
    }
    day
}

/// The month whose reports are due on `today`: the previous one, from the first working day of
/// this month on (so a server that was down that day sends them when it is back).
pub fn due_month(today: NaiveDate) -> Option<Month> {
    let this = Month::of(today);
    (today >= first_working_day(this)).then(|| this.previous())
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundSummary {
    /// Recipients newly queued for the due month.
    pub queued: usize,
    pub delivered: usize,
    pub failed: usize,
}

/// Sends the due reports.
#[derive(Clone)]
pub struct ReportMailer {
    storage: Storage,
    channels: Channels,
    dashboard_url: Option<reqwest::Url>,
}

impl ReportMailer {
    pub fn new(
        storage: Storage,
        channels: Channels,
        dashboard_url: Option<reqwest::Url>,
    ) -> ReportMailer {
        ReportMailer {
            storage,
            channels,
            dashboard_url,
        }
    }

    /// One round at `now_ms`: queues the due month's recipients, then claims, sends and records
    /// one e-mail at a time. Without e-mail configured it does nothing (nothing is queued to
    /// fail).
    pub async fn round(&self, now_ms: i64) -> Result<RoundSummary, StorageError> {
        let mut summary = RoundSummary::default();
        if !self.channels.has_email() {
            return Ok(summary);
        }
        let today = REPORT_TIME_ZONE
            .timestamp_millis_opt(now_ms)
            .single()
            .map(|t| t.date_naive());
        if let Some(month) = today.and_then(due_month) {
            summary.queued = self
                .storage
                .queue_department_reports(month.code(), now_ms)
                .await?;
        }
        // Time moves on during a long round; claims and records take it into account.
        let started = Instant::now();
        let now =
            || now_ms.saturating_add(i64::try_from(started.elapsed().as_millis()).unwrap_or(0));
        for _ in 0..REPORTS_PER_ROUND {
            let Some(claimed) = self
                .storage
                .claim_department_report(now(), CLAIM_LEASE_MS)
                .await?
            else {
                break;
            };
            let outcome = self.send(&claimed).await;
            match &outcome {
                Ok(()) => summary.delivered += 1,
                Err(error) => {
                    summary.failed += 1;
                    tracing::warn!(
                        user = claimed.username,
                        month = claimed.month,
                        attempt = claimed.attempts + 1,
                        error,
                        "department report not delivered"
                    );
                }
            }
            self.storage
                .record_department_report(claimed.user_id, claimed.month, outcome, now())
                .await?;
        }
        Ok(summary)
    }

    /// Builds the recipient's report as their own scope shows it, and sends it.
    async fn send(&self, claimed: &ReportDelivery) -> Result<(), String> {
        let month = Month::parse(&claimed.month)
            .ok_or_else(|| format!("stored month {:?} is not a month", claimed.month))?;
        let scope = Scope::Department {
            office: claimed.office_id.clone(),
            department: claimed.department_id.clone(),
        };
        let read_failed = |e: StorageError| format!("cannot read the report: {e}");
        let places = self
            .storage
            .places(scope.clone())
            .await
            .map_err(read_failed)?;
        let report = DepartmentReport::build(
            &self.storage,
            &scope,
            &places,
            (&claimed.office_id, &claimed.department_id),
            month,
            false,
            claimed.lang,
        )
        .await
        .map_err(read_failed)?;
        let to = claimed
            .email
            .parse()
            .map_err(|e| format!("stored address {:?}: {e}", claimed.email))?;
        let link = report_link(self.dashboard_url.as_ref(), &report, claimed.lang);
        let composed = compose(
            &report,
            claimed.lang,
            &link,
            self.storage.disclosure().min_responses(),
        );
        let domain = claimed
            .email
            .rsplit_once('@')
            .map_or("ocena.invalid", |(_, d)| d);
        // Every attempt at one message keeps its id (a copy sent twice shows once); an admin's
        // send-again is a new message, or the recipient's mail service would drop it.
        let again = match claimed.resends {
            0 => String::new(),
            n => format!("-again-{n}"),
        };
        self.channels
            .send_mail(&Mail {
                to,
                subject: composed.subject,
                text: composed.text,
                html: composed.html,
                message_id: format!(
                    "ocena-department-report-{}-{}{again}@{domain}",
                    claimed.month, claimed.user_id
                ),
            })
            .await
    }

    /// Runs a round every `every` until the task is dropped; a failed round is logged and the
    /// next one tries again.
    pub async fn run(self, every: Duration) {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match self.round(chrono::Utc::now().timestamp_millis()).await {
                Ok(summary) if summary != RoundSummary::default() => tracing::info!(
                    queued = summary.queued,
                    delivered = summary.delivered,
                    failed = summary.failed,
                    "department report round"
                ),
                Ok(_) => {}
                Err(error) => tracing::error!(error = %error, "department report round failed"),
            }
        }
    }
}

/// The report page's address for the e-mail: absolute with `dashboard_url`, else its path.
pub fn report_link(
    dashboard_url: Option<&reqwest::Url>,
    report: &DepartmentReport,
    lang: Lang,
) -> String {
    let mut path = report.path();
    if lang == Lang::En {
        path.push_str("?lang=en");
    }
    match dashboard_url {
        Some(base) => format!("{}{path}", base.as_str().trim_end_matches('/')),
        None => path,
    }
}

/// A report e-mail's subject and bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposedMail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// "467 odpowiedzi, odsetek zadowolonych 81,2%", or why there is no figure.
fn summary_of(counts: &Counts, lang: Lang) -> String {
    match counts.figures() {
        Some(f) => format!(
            "{} {}, {} {}",
            lang.number(counts.responses() as f64, 0),
            lang.pick("odpowiedzi", "responses"),
            lang.pick("odsetek zadowolonych", "CSAT"),
            lang.percent(f.csat_percent, 1)
        ),
        None => charts::no_score(counts, lang).to_owned(),
    }
}

/// The overall line's sentence: this month against the previous one and a year before.
fn overall_sentence(total: &Line, month: Month, lang: Lang) -> String {
    format!(
        "{}: {}. {} ({}): {}. {} ({}): {}.",
        lang.pick("Ocena ogólna", "Overall rating"),
        summary_of(&total.now, lang),
        lang.pick("Poprzedni miesiąc", "Previous month"),
        month.previous().name(lang),
        summary_of(&total.previous, lang),
        lang.pick("Ten sam miesiąc przed rokiem", "Same month a year before"),
        month.year_before().name(lang),
        summary_of(&total.year_before, lang),
    )
}

/// The e-mail for `report` in `lang`, linking to `link`; `min_responses` is disclosure
/// control's `k`.
pub fn compose(
    report: &DepartmentReport,
    lang: Lang,
    link: &str,
    min_responses: i64,
) -> ComposedMail {
    let month = report.month;
    let subject = format!(
        "[Ocena] {} {}: {}",
        lang.pick("Raport miesięczny za", "Monthly report for"),
        month.name(lang),
        report.department_name
    );
    let greeting = lang.pick("Szanowni Państwo,", "Dear Sir or Madam,");
    let intro = format!(
        "{} {} {}: {} ({}). {}",
        lang.pick("przesyłamy raport miesięczny za", "here is the monthly report for"),
        month.name(lang),
        lang.pick(
            "z monitorowania przestrzegania Standardów Obsługi Klienta w komórce organizacyjnej",
            "on the monitoring of the Customer Service Standards in the organizational unit",
        ),
        report.department_name,
        report.office_name,
        lang.pick(
            "Raport otrzymują kierownicy komórek organizacyjnych, którzy zgodnie z §\u{a0}5 ust.\u{a0}1 zarządzenia nr 4216/2018 monitorują przestrzeganie Standardów.",
            "Heads of organizational units receive it because §5.1 of ordinance 4216/2018 makes them monitor that the Standards are kept.",
        ),
    );
    let overall = overall_sentence(&report.total, month, lang);
    let movers: Vec<String> = report
        .movers()
        .iter()
        .map(|(line, change)| {
            format!(
                "{}: {} {}",
                line.name,
                lang.signed_points(*change),
                lang.pick("punktu procentowego", "percentage points")
            )
        })
        .collect();
    let movers_heading = lang.pick(
        "Standardy, które zmieniły się najbardziej w porównaniu z poprzednim miesiącem",
        "Standards that moved most against the previous month",
    );
    let no_movers = lang.pick(
        "żaden standard nie zmienił się albo wyniki nie mogą być pokazane.",
        "none changed, or the figures cannot be shown.",
    );
    let reasons: Vec<String> = report
        .reasons
        .iter()
        .flatten()
        .take(REASONS_IN_MAIL)
        .map(|r| {
            format!(
                "{} ({}): {}",
                labels::reason(&r.reason, lang),
                r.question,
                lang.number(r.chosen as f64, 0)
            )
        })
        .collect();
    let reasons_heading = lang.pick(
        "Najczęściej wskazywane powody niskich ocen",
        "Most chosen reasons after low scores",
    );
    let no_reasons = lang.pick(
        "brak powodów, które można pokazać.",
        "none that can be shown.",
    );
    let full = lang.pick(
        "Pełny raport (według standardu i stanowiska, z porównaniem z poprzednim miesiącem i z tym samym miesiącem przed rokiem, do wydruku i w formacie CSV):",
        "The full report (by standard and desk, against the previous month and the same month a year before, printable and as CSV):",
    );
    let privacy = super::small_counts_note(lang, min_responses);
    let automatic = lang.pick(
        "Wiadomość została wysłana automatycznie przez system Ocena; prosimy na nią nie odpowiadać.",
        "This message was sent automatically by Ocena; please do not reply to it.",
    );
    let list = |items: &[String], none: &str| {
        if items.is_empty() {
            format!(" {none}\n")
        } else {
            items.iter().map(|i| format!("\n- {i}")).collect::<String>() + "\n"
        }
    };
    let text = format!(
        "{greeting}\n\n{intro}\n\n{overall}\n\n{movers_heading}:{}\n{reasons_heading}:{}\n{full}\n{link}\n\n{}\n{privacy}\n\n{automatic}\n",
        list(&movers, no_movers),
        list(&reasons, no_reasons),
        lang.csat_meaning(),
    );
    let html = html_body(
        report,
        lang,
        link,
        &subject,
        [greeting, &intro, &overall],
        (movers_heading, &movers, no_movers),
        (reasons_heading, &reasons, no_reasons),
        [full, lang.csat_meaning(), &privacy, automatic],
    )
    .into_string();
    ComposedMail {
        subject,
        text,
        html,
    }
}

/// The HTML alternative: the same text, and the standards' table, styled inline (mail clients
/// drop style sheets).
#[allow(clippy::too_many_arguments)]
fn html_body(
    report: &DepartmentReport,
    lang: Lang,
    link: &str,
    subject: &str,
    [greeting, intro, overall]: [&str; 3],
    (movers_heading, movers, no_movers): (&str, &[String], &str),
    (reasons_heading, reasons, no_reasons): (&str, &[String], &str),
    [full, meaning, privacy, automatic]: [&str; 4],
) -> Markup {
    let cell = "border:1px solid #767676;padding:4px 8px;text-align:left";
    let number = "border:1px solid #767676;padding:4px 8px;text-align:right";
    let list = |items: &[String], none: &str| {
        html! {
            @if items.is_empty() { p { (none) } }
            @else { ul { @for i in items { li { (i) } } } }
        }
    };
    html! {
        (maud::DOCTYPE)
        html lang=(lang.code()) {
            head { meta charset="utf-8"; title { (subject) } }
            body style="font-family:sans-serif;color:#1a1a1a;max-width:46em" {
                p { (greeting) }
                p { (intro) }
                p { strong { (overall) } }
                h2 style="font-size:1.1em" { (movers_heading) }
                (list(movers, no_movers))
                @if !report.standards.is_empty() {
                    table style="border-collapse:collapse" {
                        caption style="text-align:left;font-weight:bold;padding:4px 0" { (lang.pick("Według standardu", "By standard")) ", " (report.month.name(lang)) }
                        thead { tr {
                            th scope="col" style=(cell) { (lang.pick("Standard", "Standard")) }
                            th scope="col" style=(number) { (lang.pick("Odpowiedzi", "Responses")) }
                            th scope="col" style=(number) { (lang.csat_name()) }
                            th scope="col" style=(number) { (lang.pick("Zmiana w punktach procentowych", "Change in percentage points")) }
                        } }
                        tbody {
                            @for l in &report.standards {
                                tr {
                                    th scope="row" style=(cell) { (l.name) }
                                    td style=(number) { (l.now.shown_responses().map_or_else(|| charts::withheld(lang).to_owned(), |n| lang.number(n as f64, 0))) }
                                    td style=(number) { (l.now.figures().map_or_else(|| charts::no_score(&l.now, lang).to_owned(), |f| lang.percent(f.csat_percent, 1))) }
                                    td style=(number) { (l.change_from_previous().map_or_else(|| "–".to_owned(), |c| lang.signed_points(c))) }
                                }
                            }
                        }
                    }
                }
                h2 style="font-size:1.1em" { (reasons_heading) }
                (list(reasons, no_reasons))
                p { (full) " " a href=(link) { (link) } }
                p style="font-size:0.9em" { (meaning) " " (privacy) }
                p style="font-size:0.9em" { (automatic) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::ReasonCount;

    /// Wydział Spraw Obywatelskich in October 2026: 40 overall answers, standard IV down from
    /// September, one reason chosen often enough to be listed.
    fn report() -> DepartmentReport {
        let counts = |scores: [i64; 4]| Counts::new(scores);
        let line = |id: &str, name: &str, now, previous, year_before| Line {
            id: id.into(),
            name: name.into(),
            now,
            previous,
            year_before,
        };
        DepartmentReport {
            office_id: "plock".into(),
            office_name: "Urząd Miasta Płocka".into(),
            department_id: "wso".into(),
            department_name: "Wydział Spraw Obywatelskich".into(),
            month: Month::parse("2026-10").expect("month"),
            include_bursts: false,
            total: line(
                "overall",
                "Ocena ogólna",
                counts([2, 4, 14, 20]),
                counts([1, 3, 10, 16]),
                Counts::default(),
            ),
            standards: vec![line(
                "IV",
                "IV — Staranność",
                counts([4, 4, 1, 1]),
                counts([0, 1, 4, 5]),
                counts([1, 1, 1, 1]),
            )],
            desks: vec![],
            reasons: Some(vec![ReasonCount {
                question: "IV".into(),
                reason: "iv-interrupted".into(),
                chosen: 6,
            }]),
        }
    }

    #[test]
    fn the_e_mail_speaks_the_recipients_language_and_links_to_the_page() {
        let report = report();
        let url: reqwest::Url = "https://ocena.plock.eu/".parse().expect("url");
        let link = report_link(Some(&url), &report, Lang::Pl);
        assert_eq!(
            link,
            "https://ocena.plock.eu/dashboard/reports/plock/wso/2026-10"
        );
        let polish = compose(&report, Lang::Pl, &link, 5);
        assert_eq!(
            polish.subject,
            "[Ocena] Raport miesięczny za październik 2026: Wydział Spraw Obywatelskich"
        );
        for expected in [
            "Szanowni Państwo,",
            "Ocena ogólna: 40 odpowiedzi, odsetek zadowolonych 85,0%.",
            "Poprzedni miesiąc (wrzesień 2026): 30 odpowiedzi, odsetek zadowolonych 86,7%.",
            "Ten sam miesiąc przed rokiem (październik 2025): brak odpowiedzi.",
            "- IV — Staranność: −70,0 punktu procentowego",
            "- Przerywano mi (IV): 6",
            "https://ocena.plock.eu/dashboard/reports/plock/wso/2026-10\n",
        ] {
            assert!(
                polish.text.contains(expected),
                "{expected}: {}",
                polish.text
            );
        }
        assert!(polish.html.starts_with("<!DOCTYPE html><html lang=\"pl\">"));
        assert!(
            polish
                .html
                .contains("href=\"https://ocena.plock.eu/dashboard/reports/plock/wso/2026-10\"")
        );
        let link = report_link(Some(&url), &report, Lang::En);
        let english = compose(&report, Lang::En, &link, 5);
        assert_eq!(
            english.subject,
            "[Ocena] Monthly report for October 2026: Wydział Spraw Obywatelskich"
        );
        for expected in [
            "Dear Sir or Madam,",
            "Overall rating: 40 responses, CSAT 85.0%.",
            "Same month a year before (October 2025): no responses.",
            "- IV — Staranność: −70.0 percentage points",
            "- I was interrupted (IV): 6",
            "/dashboard/reports/plock/wso/2026-10?lang=en",
        ] {
            assert!(
                english.text.contains(expected),
                "{expected}: {}",
                english.text
            );
        }
        assert!(english.html.contains("<html lang=\"en\">"));
        assert!(
            polish
                .text
                .contains("Wyniki z mniej niż 5 odpowiedzi nie są pokazywane.")
        );
        let raised_k = compose(&report, Lang::Pl, "/x", 10);
        assert!(
            raised_k.text.contains("z mniej niż 10 odpowiedzi"),
            "k as configured"
        );
        // Without the dashboard's address, the path alone.
        assert_eq!(
            report_link(None, &report, Lang::Pl),
            "/dashboard/reports/plock/wso/2026-10"
        );
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn the_first_working_day_skips_weekends_and_polish_holidays() {
        let first = |m: &str| first_working_day(Month::parse(m).expect("month")).to_string();
        // 1 November 2026 is a Sunday and All Saints' Day.
        assert_eq!(first("2026-11"), "2026-11-02");
        // New Year's Day 2027 is a Friday: Monday the 4th.
        assert_eq!(first("2027-01"), "2027-01-04");
        // 1 May 2027 is a Saturday, 3 May (Constitution Day) a Monday: Tuesday the 4th.
        assert_eq!(first("2027-05"), "2027-05-04");
        // An ordinary month starting on a Tuesday.
        assert_eq!(first("2026-12"), "2026-12-01");
        assert!(due_month(day("2026-11-01")).is_none(), "a holiday Sunday");
        assert_eq!(
            due_month(day("2026-11-02")).map(Month::code).as_deref(),
            Some("2026-10")
        );
        assert_eq!(
            due_month(day("2026-11-20")).map(Month::code).as_deref(),
            Some("2026-10")
        );
        assert!(due_month(day("2027-01-02")).is_none());
        assert_eq!(
            due_month(day("2027-01-04")).map(Month::code).as_deref(),
            Some("2026-12")
        );
    }
}
