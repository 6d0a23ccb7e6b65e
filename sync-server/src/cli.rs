//! The command line: `serve` and the administration commands, each validating its input with a
//! precise error.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use model::{Catalogue, DeskId, LanguageTag, StandardId};

use crate::alert_monitor::Monitor;
use crate::alerts::delivery::Channels;
use crate::alerts::{CsatWindow, RuleKind};
use crate::config::{Database, Settings};
use crate::credentials;
use crate::database_move;
use crate::demo;
use crate::offices;
use crate::startup::Application;
use crate::storage::{Connections, Desk, DeskEditOutcome, KioskStatus, NewDesk, Storage};
use crate::survey::{DeskSurveyEdit, SurveyError};
use crate::user_admin::{self, AdminCommand, UserCommand};

/// Ocena's central aggregator.
#[derive(Debug, Parser)]
#[command(name = "sync-server", version, about)]
pub struct Cli {
    /// The TOML settings file.
    #[arg(long, env = "OCENA_SERVER_CONFIG", default_value = "sync-server.toml")]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server.
    Serve,
    /// Manage offices: add, rename, list.
    #[command(subcommand)]
    Office(OfficeCommand),
    /// Add the pilot's five partner offices that are not there yet (running it again changes
    /// nothing, and keeps names changed with `office rename`).
    SeedOffices,
    /// Manage departments.
    #[command(subcommand)]
    Department(DepartmentCommand),
    /// Manage desks and their surveys.
    #[command(subcommand)]
    Desk(DeskCommand),
    /// List desks: office, department, id, name, standards and survey revision.
    Desks,
    /// Print a single-use enrollment code for a kiosk at a desk.
    EnrollCode {
        #[arg(long)]
        desk: String,
        /// Hours until the code expires.
        #[arg(long, default_value_t = 24)]
        valid_hours: u32,
    },
    /// Fleet health: every kiosk's last contact, backlog, clock and last error.
    Kiosks {
        /// Print JSON for scripts instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a kiosk's token.
    Revoke {
        #[arg(long)]
        kiosk: String,
    },
    /// Manage alert rules.
    #[command(subcommand)]
    AlertRule(AlertRuleCommand),
    /// Alerts: list them, or run one evaluation and delivery round now.
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// Create the dashboard's first admin (or any user).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Manage dashboard users.
    #[command(subcommand)]
    User(UserCommand),
    /// Delete the answers older than `[privacy] answer_retention_months` now (the server also
    /// does it hourly); the dashboard's rollups stay, and each id stays taken.
    Purge,
    /// Copy this aggregator's SQLite database (the settings' `database`, only read) into an
    /// empty PostgreSQL database in one transaction, then verify the copy: every table's rows,
    /// the rollup totals and the dashboard's figures, equal on both. A target that holds
    /// anything is refused. Stop the server first.
    Migrate {
        /// The PostgreSQL database, postgres://USER@HOST:PORT/NAME; its password from
        /// OCENA_SERVER_DATABASE_PASSWORD or OCENA_SERVER_DATABASE_PASSWORD_FILE.
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Fill an empty database with demo data: the five offices, their departments and desks, a
    /// kiosk per desk and months of answers, stored through the real ingest path.
    Demo {
        /// Days of answers, ending today.
        #[arg(long, default_value_t = 120)]
        days: u32,
        /// The random seed: the same seed on the same day gives the same data.
        #[arg(long, default_value_t = 4216)]
        seed: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum AlertRuleCommand {
    /// Add a rule: either `--csat-below` with `--last-responses` or `--last-days`, or
    /// `--silent-hours`.
    Add(AlertRuleAdd),
    /// List the rules.
    List,
    /// Stop a rule (its open alerts are cleared at the next round).
    Disable { id: i64 },
    /// Start a stopped rule again.
    Enable { id: i64 },
}

/// What `alert-rule add` watches.
#[derive(Debug, Args)]
pub struct AlertRuleAdd {
    /// Raise when a desk's CSAT (share of scores 3-4) falls below this percentage.
    #[arg(long, value_name = "PERCENT", conflicts_with = "silent_hours")]
    csat_below: Option<u8>,
    /// …over the desk's last N responses.
    #[arg(long, conflicts_with = "last_days")]
    last_responses: Option<u32>,
    /// …over the last N days.
    #[arg(long)]
    last_days: Option<u32>,
    /// Raise when a kiosk has not been heard from for this many hours.
    #[arg(long)]
    silent_hours: Option<u32>,
    /// Watch only this office (default: every office).
    #[arg(long)]
    office: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// List alerts, open ones first, with their notifications.
    List {
        /// Print JSON for scripts instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Evaluate every rule and deliver due notifications once, with the configured channels.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum OfficeCommand {
    /// Add an office; its id is what departments, desks and users name, e.g. kutno.
    Add {
        /// Lowercase letters, digits and '-', e.g. kutno.
        #[arg(allow_hyphen_values = true)]
        id: String,
        /// The official name, e.g. "Urząd Miasta Kutno".
        #[arg(long)]
        name: String,
    },
    /// Give an office a new name (its id stays).
    Rename {
        #[arg(allow_hyphen_values = true)]
        id: String,
        #[arg(long)]
        name: String,
    },
    /// List offices: id and name.
    List,
}

#[derive(Debug, Subcommand)]
pub enum DepartmentCommand {
    /// Add a department to an office.
    Add {
        #[arg(long)]
        office: String,
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeskCommand {
    /// Add a desk to a department.
    Add {
        #[arg(long)]
        office: String,
        #[arg(long)]
        department: String,
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// Standards asked at this desk, e.g. IV,III,II,IX.
        #[arg(long, value_delimiter = ',')]
        standards: Vec<String>,
        /// Languages offered, e.g. pl,en; the first is the default. Without it, every shipped
        /// language, Polish first.
        #[arg(
            long,
            value_delimiter = ',',
            default_values_t = i18n::LANGUAGES.iter().map(|&code| code.to_owned())
        )]
        languages: Vec<String>,
        /// The desk serves other staff rather than the public.
        #[arg(long)]
        internal_service: bool,
    },
    /// Change a desk's survey; only the fields given change. Kiosks take it at their next
    /// heartbeat, between visits.
    Set(DeskSet),
    /// Print a desk's survey.
    Show {
        #[arg(long)]
        id: String,
        /// Print JSON for scripts instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// The fields `desk set` can change; each is optional.
#[derive(Debug, Args)]
pub struct DeskSet {
    /// The desk to change, e.g. plock-wso-03.
    #[arg(long)]
    id: String,
    /// The desk's name as the kiosk shows it (1-80 characters).
    #[arg(long)]
    name: Option<String>,
    /// Standards asked at this desk, in order, e.g. IV,III,II.
    #[arg(long, value_delimiter = ',')]
    standards: Option<Vec<String>>,
    /// Languages offered, in the order shown, e.g. pl,en,uk,de.
    #[arg(long, value_delimiter = ',')]
    languages: Option<Vec<String>>,
    /// The language every visit starts in; one of the languages.
    #[arg(long)]
    default_language: Option<String>,
    /// Whether the desk serves the office's own staff (only then is standard XI asked).
    #[arg(long, value_name = "true|false")]
    internal_service: Option<bool>,
    /// Quiet seconds in a visit before "Need more time?" appears (5-600).
    #[arg(long, allow_hyphen_values = true)]
    idle_prompt_after_s: Option<u32>,
    /// Seconds "Need more time?" counts down before the visit ends (20-300).
    #[arg(long, allow_hyphen_values = true)]
    idle_countdown_s: Option<u32>,
    /// Seconds "Change my answer" stays offered (3-60).
    #[arg(long, allow_hyphen_values = true)]
    change_answer_window_s: Option<u32>,
    /// Seconds the final thank-you stays (2-60).
    #[arg(long, allow_hyphen_values = true)]
    thank_you_s: Option<u32>,
}

impl DeskSet {
    /// The edit these flags ask for, with every value parsed.
    fn edit(&self) -> anyhow::Result<DeskSurveyEdit> {
        Ok(DeskSurveyEdit {
            name: self.name.as_deref().map(|n| n.trim().to_owned()),
            standards: self.standards.as_deref().map(parse_standards).transpose()?,
            languages: self.languages.as_deref().map(parse_languages).transpose()?,
            default_language: self
                .default_language
                .as_deref()
                .map(|l| l.trim().parse::<LanguageTag>())
                .transpose()
                .context("in --default-language")?,
            internal_service: self.internal_service,
            idle_prompt_after_s: self.idle_prompt_after_s,
            idle_countdown_s: self.idle_countdown_s,
            change_answer_window_s: self.change_answer_window_s,
            thank_you_s: self.thank_you_s,
        })
    }
}

/// Runs one command to completion.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(&cli.config).context("cannot load settings")?;
    if let Command::Serve = cli.command {
        let app = Application::build(settings)
            .await
            .context("cannot start the server")?;
        return app.run_until_stopped().await.context("server failed");
    }
    if let Command::Migrate { to } = &cli.command {
        return migrate(&settings, to).await;
    }
    let storage = Storage::open(&settings.database, Connections::default())
        .await
        .context("cannot open the database")?
        .with_disclosure(settings.privacy.disclosure);
    if let Command::Purge = cli.command {
        let months = settings.privacy.answer_retention_months;
        let summary = crate::retention::purge_now(&storage, months).await?;
        println!(
            "{} answers placed before {} deleted (retention {months} months; rollups kept), \
             {} conflict logs deleted",
            summary.answers, summary.before_day, summary.conflicts
        );
        return Ok(());
    }
    if let Command::Alerts(AlertsCommand::Check) = cli.command {
        let channels = Channels::new(settings.alerts.email, settings.alerts.webhook)
            .context("cannot set up alert delivery")?;
        let summary = Monitor::new(storage, channels)
            .round(chrono::Utc::now().timestamp_millis())
            .await?;
        println!(
            "{} alerts raised or cleared, {} notifications delivered, {} failed",
            summary.raised_or_cleared, summary.delivered, summary.failed
        );
        return Ok(());
    }
    admin(&storage, cli.command).await
}

/// `migrate --to`: copies the SQLite database into `to`, prints the report, and fails on any
/// difference found.
async fn migrate(settings: &Settings, to: &str) -> anyhow::Result<()> {
    let Database::Sqlite(source) = &settings.database else {
        bail!(
            "`migrate` copies an SQLite database, and the settings' `database` is already \
             PostgreSQL ({:?})",
            settings.database
        );
    };
    if !source.exists() {
        bail!("no SQLite database at {} to migrate", source.display());
    }
    let target =
        Database::from_argument(to).map_err(|message| anyhow::anyhow!("--to: {message}"))?;
    if !matches!(target, Database::Postgres { .. }) {
        bail!("--to: {to:?} is not a PostgreSQL database (postgres://USER@HOST:PORT/NAME)");
    }
    let described = to.to_owned();
    let (copied, copy_time) = database_move::copy(source.clone(), target.clone())
        .await
        .with_context(|| format!("nothing was copied from {}", source.display()))?;
    let report = database_move::verify(source.clone(), target, settings.privacy.disclosure)
        .await
        .with_context(|| format!("{described} was filled, but could not be verified"))?;
    let report = database_move::Report {
        copied,
        copy_time,
        ..report
    };
    print!("{}", report.describe(&described));
    if !report.problems.is_empty() {
        bail!(
            "the copy in {described} differs from {} (was the server still running? stop it, \
             empty the target and migrate again): {}",
            source.display(),
            report.problems.join("; ")
        );
    }
    Ok(())
}

fn slug(kind: &str, value: &str) -> anyhow::Result<String> {
    let ok = (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !ok {
        bail!("invalid {kind} id {value:?}: use 1-64 characters from a-z, 0-9, '-' and '_'");
    }
    Ok(value.to_owned())
}

/// Parses a desk's standards list of Roman numerals; the survey rules are checked by
/// [`crate::survey::check`].
pub fn parse_standards(list: &[String]) -> anyhow::Result<Vec<StandardId>> {
    list.iter()
        .map(|item| item.trim())
        .filter(|item| !item.is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()
        .context("in --standards")
}

/// Parses a desk's language list of two-letter codes, e.g. pl,en.
pub fn parse_languages(list: &[String]) -> anyhow::Result<Vec<LanguageTag>> {
    list.iter()
        .map(|item| item.trim())
        .filter(|item| !item.is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()
        .context("in --languages")
}

async fn manage_office(storage: &Storage, command: OfficeCommand) -> anyhow::Result<()> {
    match command {
        OfficeCommand::Add { id, name } => {
            let office = offices::parse(&id, &name)?;
            if !storage.add_office(office.clone()).await? {
                bail!(
                    "office {:?} already exists (see `sync-server office list`; `office rename` changes its name)",
                    office.id
                );
            }
            println!("office {} added: {}", office.id, office.name);
        }
        OfficeCommand::Rename { id, name } => {
            let id = offices::parse_id(&id)?;
            let name = offices::parse_name(&id, &name)?;
            if !storage.rename_office(id.clone(), name.clone()).await? {
                bail!("unknown office {id:?} (see `sync-server office list`)");
            }
            println!("office {id} renamed: {name}");
        }
        OfficeCommand::List => {
            println!("office\tname");
            for office in storage.offices().await? {
                println!("{}\t{}", office.id, office.name);
            }
        }
    }
    Ok(())
}

async fn admin(storage: &Storage, command: Command) -> anyhow::Result<()> {
    let now = chrono::Utc::now().timestamp_millis();
    match command {
        Command::Serve | Command::Purge | Command::Migrate { .. } => {
            bail!("not an administration command")
        }
        Command::Admin(command) => user_admin::admin(storage, command).await?,
        Command::User(command) => user_admin::user(storage, command).await?,
        Command::Office(command) => manage_office(storage, command).await?,
        Command::SeedOffices => {
            let added = storage.seed_partner_offices().await?;
            println!("{added} offices added");
        }
        Command::Department(DepartmentCommand::Add { office, id, name }) => {
            let office = offices::parse_id(&office).context("in --office")?;
            let id = slug("department", &id)?;
            storage.add_department(office, id.clone(), name).await?;
            println!("department {id} added");
        }
        Command::Desk(DeskCommand::Add {
            office,
            department,
            id,
            name,
            standards,
            languages,
            internal_service,
        }) => {
            let office = offices::parse_id(&office).context("in --office")?;
            let id: DeskId = id.parse().context("in --id")?;
            let languages = parse_languages(&languages)?;
            let default_language = languages.first().cloned().ok_or(SurveyError::NoLanguages)?;
            storage
                .add_desk(NewDesk {
                    id: id.clone(),
                    office_id: office,
                    department_id: department,
                    name: name.trim().to_owned(),
                    internal_service,
                    standards: parse_standards(&standards)?,
                    languages,
                    default_language,
                })
                .await?;
            println!("desk {id} added");
        }
        Command::Desk(DeskCommand::Set(set)) => {
            let id: DeskId = set.id.parse().context("in --id")?;
            let edit = set.edit()?;
            if edit.is_empty() {
                bail!(
                    "nothing to change: give at least one field, e.g. --standards IV,III (see `sync-server desk set --help`)"
                );
            }
            let outcome = storage
                .edit_desk(id.clone(), edit)
                .await
                .with_context(|| format!("desk {id} not changed"))?;
            match outcome {
                DeskEditOutcome::Changed(survey) => println!(
                    "desk {id} changed, now at revision {}; its kiosks take the new survey at their next heartbeat, between visits",
                    survey.revision
                ),
                DeskEditOutcome::Unchanged(survey) => println!(
                    "desk {id} already has these values: nothing changed (revision {})",
                    survey.revision
                ),
            }
        }
        Command::Desk(DeskCommand::Show { id, json }) => {
            let id: DeskId = id.parse().context("in --id")?;
            let Some(desk) = storage.desk(id.clone()).await? else {
                bail!("unknown desk {:?} (see `sync-server desks`)", id.as_str());
            };
            if json {
                let value = serde_json::json!({
                    "office_id": desk.office_id,
                    "department_id": desk.department_id,
                    "survey": desk.survey,
                });
                println!("{value:#}");
            } else {
                print!("{}", describe(&desk));
            }
        }
        Command::Desks => {
            println!("office\tdepartment\tdesk\tname\tstandards\trevision");
            for desk in storage.desks().await? {
                let survey = &desk.survey;
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    desk.office_id,
                    desk.department_id,
                    survey.desk_id,
                    survey.desk_name,
                    join(&survey.standards),
                    survey.revision,
                );
            }
        }
        Command::EnrollCode { desk, valid_hours } => {
            if !(1..=24 * 30).contains(&valid_hours) {
                bail!("--valid-hours must be 1-720, not {valid_hours}");
            }
            let desk: DeskId = desk.parse().context("in --desk")?;
            let code = credentials::new_enrollment_code();
            let expires = now + i64::from(valid_hours) * 3_600_000;
            storage
                .add_enrollment_code(credentials::code_hash(&code), desk.clone(), now, expires)
                .await?;
            println!("{code}");
            eprintln!("single-use code for desk {desk}, valid for {valid_hours} h");
        }
        Command::Kiosks { json } => {
            let kiosks = storage.kiosks().await?;
            if json {
                let rows: Vec<_> = kiosks.iter().map(kiosk_json).collect();
                println!("{:#}", serde_json::Value::Array(rows));
            } else {
                print!("{}", fleet_table(&kiosks, now));
            }
        }
        Command::Demo { days, seed } => {
            let started = std::time::Instant::now();
            let summary = demo::run(
                storage,
                demo::Options {
                    days,
                    seed,
                    now_ms: now,
                },
            )
            .await?;
            println!(
                "demo data stored: {} offices, {} departments, {} desks, {} kiosks, {} answers over {} days (seed {seed}, {:.1} s)",
                summary.offices,
                summary.departments,
                summary.desks,
                summary.kiosks,
                summary.answers,
                summary.days,
                started.elapsed().as_secs_f64(),
            );
        }
        Command::Revoke { kiosk } => {
            if !storage.revoke(kiosk.clone(), now).await? {
                bail!("unknown kiosk {kiosk:?} (see `sync-server kiosks`)");
            }
            println!("kiosk {kiosk} revoked");
        }
        Command::AlertRule(command) => alert_rule(storage, command, now).await?,
        Command::Alerts(AlertsCommand::List { json }) => {
            let alerts = storage
                .alert_listing(crate::access::Scope::AllOffices, 1_000)
                .await?;
            if json {
                let rows: Vec<_> = alerts
                    .iter()
                    .map(|listing| {
                        let alert = &listing.alert;
                        serde_json::json!({
                            "id": alert.id,
                            "rule_id": alert.rule.id,
                            "rule": alert.rule.describe(crate::lang::Lang::En),
                            "subject": alert.subject,
                            "office_id": alert.office_id,
                            "raised_at_ms": alert.raised_at_ms,
                            "cleared_at_ms": alert.cleared_at_ms,
                            "value": alert.value,
                            "responses": alert.responses,
                            "deliveries": listing.deliveries.iter().map(|d| serde_json::json!({
                                "event": d.event.as_str(),
                                "channel": d.channel.as_str(),
                                "attempts": d.attempts,
                                "delivered_at_ms": d.delivered_at_ms,
                                "last_error": d.last_error,
                            })).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if alerts.is_empty() {
                println!("no alerts");
            } else {
                for listing in &alerts {
                    let alert = &listing.alert;
                    let state = if alert.cleared_at_ms.is_some() {
                        "cleared"
                    } else {
                        "OPEN"
                    };
                    println!(
                        "#{} {state:7} {} {}: {} (rule #{}: {})",
                        alert.id,
                        alert.office_id,
                        alert.subject,
                        alert.measurement(crate::lang::Lang::En),
                        alert.rule.id,
                        alert.rule.describe(crate::lang::Lang::En)
                    );
                }
            }
        }
        Command::Alerts(AlertsCommand::Check) => {
            bail!("`alerts check` needs the settings' channels; run it through `run`")
        }
    }
    Ok(())
}

async fn alert_rule(storage: &Storage, command: AlertRuleCommand, now: i64) -> anyhow::Result<()> {
    match command {
        AlertRuleCommand::Add(add) => {
            let kind = match (
                add.csat_below,
                add.last_responses,
                add.last_days,
                add.silent_hours,
            ) {
                (Some(below_percent), Some(n), None, None) => RuleKind::DeskCsat {
                    below_percent,
                    window: CsatWindow::LastResponses(n),
                },
                (Some(below_percent), None, Some(n), None) => RuleKind::DeskCsat {
                    below_percent,
                    window: CsatWindow::LastDays(n),
                },
                (Some(_), None, None, None) => {
                    bail!("--csat-below needs --last-responses N or --last-days N")
                }
                (None, None, None, Some(hours)) => RuleKind::KioskSilent { hours },
                _ => bail!(
                    "give either --csat-below with --last-responses or --last-days, or --silent-hours"
                ),
            };
            let office = add
                .office
                .map(|o| offices::parse_id(&o).context("in --office"))
                .transpose()?;
            let rule = storage.add_alert_rule(kind, office, now).await?;
            println!(
                "rule #{} added: {}",
                rule.id,
                rule.describe(crate::lang::Lang::En)
            );
        }
        AlertRuleCommand::List => {
            let rules = storage.alert_rules().await?;
            if rules.is_empty() {
                println!("no alert rules");
            }
            for rule in rules {
                let state = if rule.enabled { "enabled" } else { "disabled" };
                println!(
                    "#{} {state:8} {}",
                    rule.id,
                    rule.describe(crate::lang::Lang::En)
                );
            }
        }
        AlertRuleCommand::Disable { id } | AlertRuleCommand::Enable { id } => {
            let enabled = matches!(command, AlertRuleCommand::Enable { .. });
            if !storage.set_alert_rule_enabled(id, enabled).await? {
                bail!("unknown alert rule #{id} (see `sync-server alert-rule list`)");
            }
            println!(
                "rule #{id} {}",
                if enabled { "enabled" } else { "disabled" }
            );
        }
    }
    Ok(())
}

fn join<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// A desk's survey as staff read it.
fn describe(desk: &Desk) -> String {
    let survey = &desk.survey;
    let catalogue = Catalogue::ordinance_4216_2018();
    let mut text = format!(
        "desk {}: {}\noffice: {} ({}), department: {}\nrevision: {}\n",
        survey.desk_id,
        survey.desk_name,
        desk.office_id,
        survey.office,
        desk.department_id,
        survey.revision,
    );
    text += "standards, in the order asked:\n";
    for id in &survey.standards {
        text += &format!("  {:<5} {}\n", id.roman(), catalogue.standard(*id).title_pl);
    }
    text += &format!(
        "languages: {} (default {})\n",
        join(&survey.languages),
        survey.default_language
    );
    text += &format!(
        "internal service: {}\n",
        if survey.internal_service { "yes" } else { "no" }
    );
    text += &format!(
        "idle prompt after: {} s\nidle countdown: {} s\nchange answer window: {} s\nthank you: {} s\n",
        survey.idle_prompt_after_s,
        survey.idle_countdown_s,
        survey.change_answer_window_s,
        survey.thank_you_s,
    );
    text
}

/// A time as UTC, to the second.
fn utc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || format!("invalid time ({ms} ms)"),
        |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

/// A length of time, rounded for people to its smallest unit shown: "42 s", "17 min",
/// "5 h 3 min", "3 d 2 h".
fn span(ms: i64) -> String {
    let ms = ms.unsigned_abs();
    let rounded = |unit: u64| (ms + unit / 2) / unit;
    let (s, m, h) = (rounded(1000), rounded(60_000), rounded(3_600_000));
    if s < 60 {
        format!("{s} s")
    } else if m < 60 {
        format!("{m} min")
    } else if m < 48 * 60 {
        format!("{} h {} min", m / 60, m % 60)
    } else {
        format!("{} d {} h", h / 24, h % 24)
    }
}

/// The fleet-health table facilities staff read, one kiosk a line.
fn fleet_table(kiosks: &[KioskStatus], now_ms: i64) -> String {
    let dash = || "-".to_owned();
    let mut table = "desk\tkiosk\tlast seen (UTC)\tversion\tbacklog\toldest unsynced (UTC)\t\
                     clock drift\tclock synced\tlast error\trevoked (UTC)\n"
        .to_owned();
    for k in kiosks {
        let cells = [
            k.desk_id.clone(),
            k.id.clone(),
            k.last_seen_ms.map_or_else(dash, |ms| {
                format!("{} ({} ago)", utc(ms), span(now_ms - ms))
            }),
            k.version.clone(),
            k.backlog.map_or_else(dash, |b| b.to_string()),
            k.oldest_unsynced_ms.map_or_else(dash, utc),
            k.clock_drift_ms.map_or_else(dash, |ms| {
                let sign = if ms < 0 { '-' } else { '+' };
                format!("{sign}{}", span(ms))
            }),
            k.clock_synchronized
                .map_or_else(dash, |synced| if synced { "yes" } else { "no" }.to_owned()),
            k.last_error
                .as_deref()
                .map_or_else(dash, |e| e.replace(['\t', '\n', '\r'], " ")),
            k.revoked_at_ms.map_or_else(dash, utc),
        ];
        table += &cells.join("\t");
        table.push('\n');
    }
    table
}

/// One kiosk's fleet health for scripts; times are Unix milliseconds.
fn kiosk_json(k: &KioskStatus) -> serde_json::Value {
    serde_json::json!({
        "id": k.id,
        "desk_id": k.desk_id,
        "enrolled_at_ms": k.enrolled_at_ms,
        "last_seen_ms": k.last_seen_ms,
        "version": k.version,
        "backlog": k.backlog,
        "oldest_unsynced_ms": k.oldest_unsynced_ms,
        "clock_drift_ms": k.clock_drift_ms,
        "clock_synchronized": k.clock_synchronized,
        "last_error": k.last_error,
        "revoked_at_ms": k.revoked_at_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standards_are_parsed_precisely() {
        let list = |s: &str| s.split(',').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            parse_standards(&list("IV,III")).expect("valid"),
            vec![StandardId::IV, StandardId::III]
        );
        let err = parse_standards(&list("IV,XIV")).expect_err("unknown");
        assert!(format!("{err:#}").contains("XIV"), "{err:#}");
        assert_eq!(parse_standards(&list("")).expect("empty"), vec![]);
        let err = parse_languages(&list("pl,PL")).expect_err("upper case");
        assert!(format!("{err:#}").contains("--languages"), "{err:#}");
    }

    #[test]
    fn desk_set_takes_only_the_fields_given() {
        let cli = Cli::try_parse_from([
            "sync-server",
            "desk",
            "set",
            "--id",
            "plock-wso-03",
            "--internal-service",
            "false",
            "--thank-you-s",
            "8",
        ])
        .expect("parses");
        let Command::Desk(DeskCommand::Set(set)) = cli.command else {
            panic!("expected desk set");
        };
        let edit = set.edit().expect("valid");
        assert_eq!(
            edit,
            DeskSurveyEdit {
                internal_service: Some(false),
                thank_you_s: Some(8),
                ..DeskSurveyEdit::default()
            }
        );
    }

    #[test]
    fn spans_read_like_people_say_them() {
        assert_eq!(span(42_000), "42 s");
        assert_eq!(span(-17 * 60_000), "17 min");
        assert_eq!(span(5 * 3_600_000 + 3 * 60_000), "5 h 3 min");
        assert_eq!(span(259_200_000), "3 d 0 h");
        assert_eq!(span(259_199_000), "3 d 0 h", "a drift read a moment late");
    }

    #[test]
    fn the_command_line_parses() {
        let cli = Cli::try_parse_from([
            "sync-server",
            "desk",
            "add",
            "--office",
            "plock",
            "--department",
            "wso",
            "--id",
            "plock-wso-03",
            "--name",
            "Stanowisko 3",
            "--standards",
            "IV,III,II,IX",
        ])
        .expect("parses");
        assert!(matches!(
            cli.command,
            Command::Desk(DeskCommand::Add { .. })
        ));
    }
}
