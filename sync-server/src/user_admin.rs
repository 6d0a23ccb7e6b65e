//! `sync-server admin create` and `sync-server user add|list|disable|set-password`: dashboard
//! accounts from the command line. Passwords are never arguments (they would show in the process
//! list and shell history): they are read from standard input, or prompted for without echo.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use clap::Subcommand;

use crate::access::Role;
use crate::dashboard::users::parse_username;
use crate::lang::Lang;
use crate::passwords;
use crate::storage::{NewUser, Storage};

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a dashboard user, by default an admin: the way to the first sign-in. The password
    /// is read from standard input (one line) or prompted for twice without echo.
    Create {
        #[arg(long)]
        username: String,
        /// admin, analyst, office_viewer or department_viewer.
        #[arg(long, default_value = "admin")]
        role: String,
        #[command(flatten)]
        place: UserPlace,
    },
}

/// Where an office or department viewer belongs, and where mail to the user goes.
#[derive(Debug, clap::Args)]
pub struct UserPlace {
    /// The office an office_viewer or department_viewer reads, e.g. plock.
    #[arg(long)]
    office: Option<String>,
    /// The department of --office a department_viewer reads, e.g. wso.
    #[arg(long)]
    department: Option<String>,
    /// Where the user's mail goes (a department_viewer's monthly report), e.g. ewa@plock.eu.
    #[arg(long)]
    email: Option<String>,
    /// The language of that mail: pl (default) or en.
    #[arg(long, default_value = "pl")]
    lang: String,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a dashboard user; the password is read from standard input or prompted for.
    Add {
        #[arg(long)]
        username: String,
        /// admin, analyst, office_viewer or department_viewer.
        #[arg(long)]
        role: String,
        #[command(flatten)]
        place: UserPlace,
    },
    /// List dashboard users: name, role, office, department, e-mail and whether disabled.
    List,
    /// Disable a user and end its sessions.
    Disable {
        #[arg(long)]
        username: String,
    },
    /// Set a new password (from standard input or a prompt) and end the user's sessions.
    SetPassword {
        #[arg(long)]
        username: String,
    },
}

fn parse_role(text: &str) -> anyhow::Result<Role> {
    Role::parse(text.trim()).with_context(|| {
        format!("invalid --role {text:?}: use admin, analyst, office_viewer or department_viewer")
    })
}

/// A new password: prompted twice without echo on a terminal, else one line of standard input.
fn read_new_password() -> anyhow::Result<String> {
    let password = if std::io::stdin().is_terminal() {
        let first =
            rpassword::prompt_password("New password: ").context("cannot read the password")?;
        let second =
            rpassword::prompt_password("Repeat it: ").context("cannot read the password")?;
        if first != second {
            bail!("the two passwords differ; nothing was changed");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        if line.is_empty() {
            bail!(
                "no password on standard input: pipe it in (e.g. from a password manager) or run this in a terminal to be prompted"
            );
        }
        line.trim_end_matches(['\n', '\r']).to_owned()
    };
    passwords::check_new(&password)?;
    Ok(password)
}

async fn hash(password: String) -> anyhow::Result<String> {
    Ok(tokio::task::spawn_blocking(move || passwords::hash(&password)).await?)
}

/// `text` trimmed, or `None` when empty.
fn given(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

async fn add(
    storage: &Storage,
    username: &str,
    role: &str,
    place: UserPlace,
) -> anyhow::Result<()> {
    let username = parse_username(username)?;
    let role = parse_role(role)?;
    let office = given(place.office)
        .map(|office| crate::offices::parse_id(&office).context("in --office"))
        .transpose()?;
    let department = given(place.department);
    let email = given(place.email);
    let Some(lang) = Lang::parse(place.lang.trim()) else {
        bail!("invalid --lang {:?}: use pl or en", place.lang);
    };
    match (role, &office, &department) {
        (Role::OfficeViewer, None, _) => {
            bail!("an office_viewer needs --office, e.g. --office gabin")
        }
        (Role::DepartmentViewer, None, _) | (Role::DepartmentViewer, _, None) => bail!(
            "a department_viewer needs --office and --department, e.g. --office plock --department wso"
        ),
        (Role::Admin | Role::Analyst, Some(_), _) => {
            bail!(
                "--office is only for office_viewer and department_viewer; admins and analysts read every office"
            )
        }
        (Role::Admin | Role::Analyst | Role::OfficeViewer, _, Some(_)) => {
            bail!("--department is only for --role department_viewer")
        }
        _ => {}
    }
    let password_hash = hash(read_new_password()?).await?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    storage
        .add_user(
            NewUser {
                username: username.clone(),
                password_hash,
                role,
                office_id: office,
                department_id: department,
                email,
                lang,
            },
            now_ms,
        )
        .await
        .with_context(|| format!("user {username} not added"))?;
    println!("user {username} added as {}", role.as_str());
    Ok(())
}

pub async fn admin(storage: &Storage, command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::Create {
            username,
            role,
            place,
        } => add(storage, &username, &role, place).await,
    }
}

pub async fn user(storage: &Storage, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            username,
            role,
            place,
        } => add(storage, &username, &role, place).await,
        UserCommand::List => {
            println!("username\trole\toffice\tdepartment\temail\tstate");
            for user in storage.users().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    user.username,
                    user.role.as_str(),
                    user.office_id.as_deref().unwrap_or("-"),
                    user.department_id.as_deref().unwrap_or("-"),
                    user.email.as_deref().unwrap_or("-"),
                    if user.disabled_at_ms.is_some() {
                        "disabled"
                    } else {
                        "active"
                    }
                );
            }
            Ok(())
        }
        UserCommand::Disable { username } => {
            let username = parse_username(&username)?;
            let now_ms = chrono::Utc::now().timestamp_millis();
            if !storage.disable_user(username.clone(), now_ms).await? {
                bail!("unknown user {username:?} (see `sync-server user list`)");
            }
            println!("user {username} disabled; their sessions have ended");
            Ok(())
        }
        UserCommand::SetPassword { username } => {
            let username = parse_username(&username)?;
            if storage.user_credentials(username.clone()).await?.is_none() {
                bail!("unknown user {username:?} (see `sync-server user list`)");
            }
            let password_hash = hash(read_new_password()?).await?;
            storage
                .set_password(username.clone(), password_hash)
                .await?;
            println!("password of {username} set; their sessions have ended");
            Ok(())
        }
    }
}
