//! `/dashboard/export.csv`: the counted answers the filter selects, one per line, streamed: a
//! blocking reader walks the answers along an index and hands over chunks of about 64 KiB, so
//! memory stays flat whatever the size. Exports run on their own database connections, a few
//! at a time (503 when all are busy), and stop when the client stops reading (`[limits]
//! send_timeout_s`) or at their deadline (`[limits] export_timeout_s`), however slowly the
//! client reads. Answers are coarsened (`analytics::ExportRow`: the day,
//! no time, id, language, text size or input) and only roles whose purpose needs them get them
//! ([`Role::may_export_answers`]). `/dashboard/export-days.csv`, for every role, is counts per
//! desk and day after disclosure control. `?format=excel` writes what Polish Excel opens
//! directly: a UTF-8 byte-order mark, semicolons, decimal commas and Polish column headings; the
//! plain CSV keeps the stable English column names scripts read.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc::Receiver;

use super::{PageError, View};
use crate::analytics::{ExportRow, FilterError};
use crate::dashboard::{Lang, Viewer};
use crate::storage::StorageError;
use crate::web::AppState;

/// The CSV dialect: plain (comma, point) or for Polish Excel (semicolon, comma, BOM).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Plain,
    Excel,
}

impl Dialect {
    /// From the `format` parameter: absent or `csv` plain, `excel` for Excel.
    pub fn parse(extras: &[(String, String)]) -> Result<Dialect, FilterError> {
        match extras
            .iter()
            .find(|(n, _)| n == "format")
            .map(|(_, v)| v.as_str())
        {
            None | Some("csv") => Ok(Dialect::Plain),
            Some("excel") => Ok(Dialect::Excel),
            Some(other) => Err(FilterError {
                parameter: "format".to_owned(),
                problem: format!(
                    "{:?} is not csv or excel",
                    other.chars().take(40).collect::<String>()
                ),
            }),
        }
    }

    pub fn separator(self) -> char {
        match self {
            Dialect::Plain => ',',
            Dialect::Excel => ';',
        }
    }

    /// What a file starts with: the byte-order mark Excel needs to read UTF-8.
    pub fn preamble(self) -> &'static str {
        match self {
            Dialect::Plain => "",
            Dialect::Excel => "\u{feff}",
        }
    }

    /// A decimal number with `decimals` places in the dialect's notation: Polish for Excel.
    pub fn decimal(self, value: f64, decimals: usize) -> String {
        match self {
            Dialect::Plain => Lang::En.decimal(value, decimals),
            Dialect::Excel => Lang::Pl.decimal(value, decimals),
        }
    }

    /// A column's heading: the column name itself in plain CSV, its Polish heading for Excel.
    pub fn heading(self, column: &'static str) -> &'static str {
        match self {
            Dialect::Plain => column,
            Dialect::Excel => polish_heading(column).unwrap_or(column),
        }
    }

    /// Writes one CSV line of `fields`, quoting where needed.
    pub fn line<S: AsRef<str>>(self, fields: &[S], out: &mut String) {
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                out.push(self.separator());
            }
            field_into(field.as_ref(), self.separator(), out);
        }
        out.push_str("\r\n");
    }
}

/// Whether `field` is a plain signed number: digits with at most one decimal point or comma
/// (the Polish dialect's), as [`Dialect::decimal`] writes them.
fn is_plain_number(field: &str) -> bool {
    let digits = field.strip_prefix(['-', '+']).unwrap_or(field);
    let (whole, fraction) = digits.split_once(['.', ',']).unwrap_or((digits, ""));
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// One field: quoted when it holds the separator, a quote or a line break; a leading `=`, `+`,
/// `-` or `@` is defused with an apostrophe so a spreadsheet never runs it as a formula, unless
/// the field is a plain number (a fall of `-2,5` points stays a number for Excel).
fn field_into(field: &str, separator: char, out: &mut String) {
    let formula = field.starts_with(['=', '+', '-', '@']) && !is_plain_number(field);
    let needs_quotes = formula || field.contains([separator, '"', '\n', '\r']);
    if needs_quotes {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    for c in field.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if needs_quotes {
        out.push('"');
    }
}

/// The per-answer export's columns.
pub const COLUMNS: [&str; 9] = [
    "local_day",
    "office",
    "department",
    "desk",
    "question",
    "score",
    "not_applicable",
    "reasons",
    "burst",
];

/// The Polish heading of a column of the exports or the monthly report, for Excel.
fn polish_heading(column: &str) -> Option<&'static str> {
    Some(match column {
        "local_day" => "Dzień",
        "office" => "Urząd",
        "department" => "Wydział",
        "desk" => "Stanowisko",
        "question" => "Pytanie",
        "score" => "Ocena (1–4)",
        "reasons" => "Powody",
        "burst" => "Seria ocen (1 = tak)",
        "withheld" => "Ukryte (ochrona danych; 1 = tak)",
        "id" => "Identyfikator",
        "section" => "Sekcja",
        "name" => "Nazwa",
        "month" => "Miesiąc",
        "responses" => "Liczba odpowiedzi",
        "csat_percent" => "Odsetek zadowolonych (%)",
        "mean" => "Średnia ocena (1–4)",
        "score_1" => "Bardzo źle (1)",
        "score_2" => "Źle (2)",
        "score_3" => "Dobrze (3)",
        "score_4" => "Bardzo dobrze (4)",
        "previous_month" => "Poprzedni miesiąc",
        "previous_responses" => "Liczba odpowiedzi w poprzednim miesiącu",
        "previous_csat_percent" => "Odsetek zadowolonych w poprzednim miesiącu (%)",
        "csat_change_points" => {
            "Zmiana odsetka zadowolonych w porównaniu z poprzednim miesiącem (w punktach procentowych)"
        }
        "not_applicable" => "Nie dotyczy (1 = tak)",
        "not_applicable_answers" => "Liczba odpowiedzi „nie dotyczy”",
        "not_applicable_percent" => "Odsetek odpowiedzi „nie dotyczy” (%)",
        "year_before_month" => "Ten sam miesiąc przed rokiem",
        "year_before_csat_percent" => "Odsetek zadowolonych w tym samym miesiącu przed rokiem (%)",
        "year_change_points" => {
            "Zmiana odsetka zadowolonych w porównaniu z tym samym miesiącem przed rokiem (w punktach procentowych)"
        }
        _ => return None,
    })
}

fn row_into(dialect: Dialect, row: &ExportRow, out: &mut Vec<u8>) {
    let flag = |b: bool| if b { "1" } else { "0" };
    let mut line = String::with_capacity(120);
    dialect.line(
        &[
            row.local_day.as_str(),
            &row.office_id,
            &row.department_id,
            &row.desk_id,
            &row.question,
            &row.score.map(|s| s.to_string()).unwrap_or_default(),
            flag(row.not_applicable),
            &row.reasons,
            flag(row.burst),
        ],
        &mut line,
    );
    out.extend_from_slice(line.as_bytes());
}

/// The aggregate export's columns: a withheld desk-day has its place and day, and no figure.
pub const DAY_COLUMNS: [&str; 13] = [
    "local_day",
    "office",
    "department",
    "desk",
    "question",
    "withheld",
    "responses",
    "csat_percent",
    "score_1",
    "score_2",
    "score_3",
    "score_4",
    "not_applicable_answers",
];

/// Export chunks as a body stream; an error ends the body early (the client sees a cut
/// download, never a wrong one), logged here.
/// The export's chunks as the response body, cut off with an error at its deadline
/// (`[limits] export_timeout_s`): a client reading just fast enough to pass the send timeout
/// cannot hold an export slot for longer. An error aborts the response, so the client sees an
/// incomplete download, never a short file that looks whole.
struct Chunks {
    receiver: Receiver<Result<Vec<u8>, StorageError>>,
    deadline: Pin<Box<tokio::time::Sleep>>,
    timeout: Duration,
    ended: bool,
}

impl Chunks {
    fn new(receiver: Receiver<Result<Vec<u8>, StorageError>>, timeout: Duration) -> Chunks {
        Chunks {
            receiver,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            timeout,
            ended: false,
        }
    }
}

/// Why an export's download was cut off.
#[derive(Debug, thiserror::Error)]
enum ExportCut {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("the export took longer than {0:?} (`[limits] export_timeout_s`)")]
    Deadline(Duration),
}

impl futures_core::Stream for Chunks {
    type Item = Result<Bytes, ExportCut>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            // Dropping the receiver stops the reader at its next chunk, freeing its slot.
            self.ended = true;
            self.receiver.close();
            tracing::warn!(timeout = ?self.timeout, "export cut off at its deadline");
            return Poll::Ready(Some(Err(ExportCut::Deadline(self.timeout))));
        }
        self.receiver.poll_recv(cx).map(|chunk| {
            chunk.map(|result| {
                result.map(Bytes::from).map_err(|e| {
                    tracing::error!(error = %e, source = ?std::error::Error::source(&e), "export failed mid-stream");
                    ExportCut::from(e)
                })
            })
        })
    }
}

/// The filter's file name: `ocena-{from}-{to}[-{office}]{suffix}.csv`.
fn file_name(view: &View, suffix: &str) -> String {
    format!(
        "ocena-{}-{}{}{suffix}.csv",
        view.filter.from,
        view.filter.to,
        view.filter
            .office
            .as_deref()
            .map(|o| format!("-{o}"))
            .unwrap_or_default()
    )
}

fn csv_headers(filename: &str) -> [(axum::http::HeaderName, String); 3] {
    [
        (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
        (
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ),
        (CACHE_CONTROL, "no-store".to_owned()),
    ]
}

/// `GET /dashboard/export.csv`: the coarsened answers, for roles that may have them.
#[tracing::instrument(skip_all)]
pub async fn csv(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Response, Response> {
    let (role, lang) = (viewer.role, viewer.lang);
    let (view, extras) = View::read(
        &state,
        viewer,
        query.as_deref(),
        "/dashboard/export.csv",
        &["format"],
    )
    .await
    .map_err(IntoResponse::into_response)?;
    if !role.may_export_answers() {
        return Err(crate::dashboard::refusal::PageError::forbidden(lang).into_response());
    }
    if view.filter.language.is_some() {
        return Err(PageError::from(FilterError {
            parameter: "language".to_owned(),
            problem: "the per-answer export leaves each answer's language out, so it cannot be \
                      filtered by language; use export-days.csv or the pages"
                .to_owned(),
        })
        .into_response());
    }
    let dialect = Dialect::parse(&extras).map_err(|e| PageError::from(e).into_response())?;
    let mut header = String::from(dialect.preamble());
    dialect.line(&COLUMNS.map(|c| dialect.heading(c)), &mut header);
    let receiver = state
        .storage
        .export_chunks(
            view.filter.clone(),
            view.viewer.scope.clone(),
            header.into_bytes(),
            state.limits.send_timeout,
            move |row, out| row_into(dialect, row, out),
        )
        .await
        .map_err(|e| PageError::from(e).into_response())?;
    Ok((
        csv_headers(&file_name(&view, "")),
        Body::from_stream(Chunks::new(receiver, state.limits.export_timeout)),
    )
        .into_response())
}

/// `GET /dashboard/export-days.csv`: counts per desk and day, after disclosure control.
#[tracing::instrument(skip_all)]
pub async fn days_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let (view, extras) = View::read(
        &state,
        viewer,
        query.as_deref(),
        "/dashboard/export-days.csv",
        &["format"],
    )
    .await?;
    let dialect = Dialect::parse(&extras)?;
    let days = state
        .storage
        .desk_days(view.filter.clone(), view.viewer.scope.clone())
        .await?;
    let mut out = String::from(dialect.preamble());
    dialect.line(&DAY_COLUMNS.map(|c| dialect.heading(c)), &mut out);
    let question = view.filter.question.to_string();
    for day in &days {
        let figures = day.counts.figures();
        let mut fields = vec![
            day.day.clone(),
            day.office_id.clone(),
            day.department_id.clone(),
            day.desk_id.clone(),
            question.clone(),
            if day.counts.is_withheld() { "1" } else { "0" }.to_owned(),
            day.counts
                .shown_responses()
                .map(|n| n.to_string())
                .unwrap_or_default(),
            figures
                .as_ref()
                .map(|f| dialect.decimal(f.csat_percent, 1))
                .unwrap_or_default(),
        ];
        for i in 0..4 {
            fields.push(
                figures
                    .as_ref()
                    .map(|f| f.distribution[i].to_string())
                    .unwrap_or_default(),
            );
        }
        fields.push(
            day.counts
                .shown_not_applicable()
                .map(|n| n.to_string())
                .unwrap_or_default(),
        );
        dialect.line(&fields, &mut out);
    }
    Ok((csv_headers(&file_name(&view, "-dni")), out).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        let mut out = String::new();
        Dialect::Plain.line(&["a,b", "say \"hi\"", "=1+1", "-3", "iv-x"], &mut out);
        assert_eq!(out, "\"a,b\",\"say \"\"hi\"\"\",\"'=1+1\",-3,iv-x\r\n");
        let mut out = String::new();
        Dialect::Excel.line(&["a,b", "c;d"], &mut out);
        assert_eq!(out, "a,b;\"c;d\"\r\n");
        assert_eq!(Dialect::Excel.decimal(67.54, 1), "67,5");
        assert_eq!(Dialect::Plain.decimal(67.54, 1), "67.5");
        // A fall in percentage points stays a number in both dialects; only formulas and
        // number-like words a spreadsheet would evaluate are defused.
        let mut out = String::new();
        let fall = Dialect::Excel.decimal(-2.54, 1);
        Dialect::Excel.line(&[fall.as_str(), "-inf", "-1e5", "+2", "-"], &mut out);
        assert_eq!(out, "-2,5;\"'-inf\";\"'-1e5\";+2;\"'-\"\r\n");
        let mut out = String::new();
        Dialect::Plain.line(&[Dialect::Plain.decimal(-2.54, 1)], &mut out);
        assert_eq!(out, "-2.5\r\n");
    }

    #[tokio::test]
    async fn an_export_still_running_at_its_deadline_is_cut_off_with_an_error() {
        use http_body_util::BodyExt;

        let (sender, receiver) = tokio::sync::mpsc::channel(1);
        sender
            .send(Ok(b"answer_id,day\r\n".to_vec()))
            .await
            .expect("room for a chunk");
        // The reader is still working (its sender stays open): only the deadline ends the body.
        let body = Body::from_stream(Chunks::new(receiver, Duration::from_millis(100)));
        let read = tokio::time::timeout(Duration::from_secs(10), body.collect())
            .await
            .expect("the deadline ends the download");
        let error = read.expect_err("an incomplete download, not a short file");
        assert!(error.to_string().contains("export_timeout_s"), "{error}");
        assert!(sender.is_closed(), "the reader is told to stop");
    }

    #[test]
    fn excel_headings_are_polish_for_every_column() {
        let report = crate::dashboard::pages::reports::CSV_COLUMNS;
        for column in COLUMNS.iter().chain(&DAY_COLUMNS).chain(&report) {
            assert!(
                polish_heading(column).is_some(),
                "{column} has no Polish heading"
            );
            assert_eq!(Dialect::Plain.heading(column), *column);
        }
        assert_eq!(Dialect::Excel.heading("score"), "Ocena (1–4)");
    }
}
