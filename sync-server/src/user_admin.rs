//! `sync-server admin create` and `sync-server user add|list|disable|set-password`: dashboard
//! accounts from the command line. Passwords are never arguments (they would show in the process
//! list and shell history): they are read from standard input, or prompted for without echo.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use clap::Subcommand;

use crate::dashboard::Role;
use crate::dashboard::users::parse_username;
use crate::passwords;
use crate::storage::{NewUser, Storage};

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a dashboard user, by default an admin: the way to the first sign-in. The password
    /// is read from standard input (one line) or prompted for twice without echo.
    Create {
        #[arg(long)]
        username: String,
        /// admin, analyst or office_viewer.
        #[arg(long, default_value = "admin")]
        role: String,
        /// The office an office_viewer reads, e.g. gabin.
        #[arg(long)]
        office: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a dashboard user; the password is read from standard input or prompted for.
    Add {
        #[arg(long)]
        username: String,
        /// admin, analyst or office_viewer.
        #[arg(long)]
        role: String,
        /// The office an office_viewer reads, e.g. gabin (only for office_viewer).
        #[arg(long)]
        office: Option<String>,
    },
    /// List dashboard users: name, role, office and whether disabled.
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
    Role::parse(text.trim())
        .with_context(|| format!("invalid --role {text:?}: use admin, analyst or office_viewer"))
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

async fn add(
    storage: &Storage,
    username: &str,
    role: &str,
    office: Option<String>,
) -> anyhow::Result<()> {
    let username = parse_username(username)?;
    let role = parse_role(role)?;
    let office = office
        .map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty());
    match (role, &office) {
        (Role::OfficeViewer, None) => bail!("an office_viewer needs --office, e.g. --office gabin"),
        (Role::Admin | Role::Analyst, Some(_)) => {
            bail!(
                "--office is only for --role office_viewer; admins and analysts read every office"
            )
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
            office,
        } => add(storage, &username, &role, office).await,
    }
}

pub async fn user(storage: &Storage, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            username,
            role,
            office,
        } => add(storage, &username, &role, office).await,
        UserCommand::List => {
            println!("username\trole\toffice\tstate");
            for user in storage.users().await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    user.username,
                    user.role.as_str(),
                    user.office_id.as_deref().unwrap_or("-"),
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
