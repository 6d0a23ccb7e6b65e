//! The command line: `serve` and the administration commands, each validating its input with a
//! precise error.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use model::{DeskId, LanguageTag, StandardId};

use crate::config::Settings;
use crate::credentials;
use crate::startup::Application;
use crate::storage::{NewDesk, Storage};

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
    /// Add the five offices of the pilot (running it again changes nothing).
    SeedOffices,
    /// Manage departments.
    #[command(subcommand)]
    Department(DepartmentCommand),
    /// Manage desks.
    #[command(subcommand)]
    Desk(DeskCommand),
    /// Print a single-use enrollment code for a kiosk at a desk.
    EnrollCode {
        #[arg(long)]
        desk: String,
        /// Hours until the code expires.
        #[arg(long, default_value_t = 24)]
        valid_hours: u32,
    },
    /// List enrolled kiosks with their health.
    Kiosks,
    /// Revoke a kiosk's token.
    Revoke {
        #[arg(long)]
        kiosk: String,
    },
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
        /// Languages offered, e.g. pl,en,uk,de; the first is the default.
        #[arg(long, value_delimiter = ',', default_value = "pl,en,uk,de")]
        languages: Vec<String>,
        /// The desk serves other staff rather than the public.
        #[arg(long)]
        internal_service: bool,
    },
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
    let storage = Storage::open_sqlite(settings.database.clone(), 1)
        .await
        .context("cannot open the database")?;
    admin(&storage, cli.command).await
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

/// Parses a desk's standards list: known Roman numerals, none repeated, at least one.
pub fn parse_standards(list: &[String]) -> anyhow::Result<Vec<StandardId>> {
    let mut standards = Vec::new();
    for item in list {
        let id: StandardId = item.trim().parse().context("in --standards")?;
        if standards.contains(&id) {
            bail!("standard {id} is listed twice in --standards");
        }
        standards.push(id);
    }
    if standards.is_empty() {
        bail!("--standards needs at least one standard, e.g. IV,III");
    }
    Ok(standards)
}

async fn admin(storage: &Storage, command: Command) -> anyhow::Result<()> {
    let now = chrono::Utc::now().timestamp_millis();
    match command {
        Command::Serve => bail!("`serve` is not an administration command"),
        Command::SeedOffices => {
            let added = storage.seed_offices().await?;
            println!("{added} offices added");
        }
        Command::Department(DepartmentCommand::Add { office, id, name }) => {
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
            let id: DeskId = id.parse().context("in --id")?;
            let languages = languages
                .iter()
                .map(|l| l.trim().parse::<LanguageTag>())
                .collect::<Result<Vec<_>, _>>()
                .context("in --languages")?;
            let default_language = languages
                .first()
                .cloned()
                .context("--languages needs at least one language")?;
            storage
                .add_desk(NewDesk {
                    id: id.clone(),
                    office_id: office,
                    department_id: department,
                    name,
                    internal_service,
                    standards: parse_standards(&standards)?,
                    languages,
                    default_language,
                })
                .await?;
            println!("desk {id} added");
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
        Command::Kiosks => {
            println!("kiosk\tdesk\tversion\tlast seen (UTC)\tbacklog\trevoked");
            for k in storage.kiosks().await? {
                let time = |ms: Option<i64>| {
                    ms.and_then(chrono::DateTime::from_timestamp_millis)
                        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                        .unwrap_or_else(|| "-".to_owned())
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    k.id,
                    k.desk_id,
                    k.version,
                    time(k.last_seen_ms),
                    k.backlog.map_or_else(|| "-".to_owned(), |b| b.to_string()),
                    time(k.revoked_at_ms),
                );
            }
        }
        Command::Revoke { kiosk } => {
            if !storage.revoke(kiosk.clone(), now).await? {
                bail!("unknown kiosk {kiosk:?} (see `sync-server kiosks`)");
            }
            println!("kiosk {kiosk} revoked");
        }
    }
    Ok(())
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
        assert!(parse_standards(&list("IV,IV")).is_err());
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
