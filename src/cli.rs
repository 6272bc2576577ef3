//! Subcommands: `serve` (default), `migrate`, `admin create-user`, `admin create-token`.

use std::io::BufRead;

use clap::{Parser, Subcommand};

use crate::{
    accounts::{tokens, users},
    config::Config,
    db, server,
};

/// mirrorforge: a self-hosted Git server centred on mirroring.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    /// What to do; `serve` when left out.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run migrations, then serve HTTP and the sync scheduler.
    Serve,
    /// Run pending migrations and exit.
    Migrate,
    /// Administrative tasks.
    Admin {
        /// Which task.
        #[command(subcommand)]
        command: AdminCommand,
    },
}

/// Administrative subcommands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a user; the password is read from stdin (one line).
    CreateUser {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Email address.
        #[arg(long)]
        email: String,
        /// Read the password from standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Make the user an administrator.
        #[arg(long)]
        admin: bool,
    },
    /// Print a new personal access token for a user (only on stdout, only once).
    CreateToken {
        /// Whose token.
        #[arg(long)]
        username: String,
        /// A name to recognise the token by.
        #[arg(long)]
        name: String,
    },
}

/// Runs the chosen command.
///
/// # Errors
/// Whatever the command failed with, as a message for the terminal.
pub async fn run(args: Args, config: Config) -> anyhow::Result<()> {
    match args.command.unwrap_or(Command::Serve) {
        Command::Serve => server::run(config).await,
        Command::Migrate => {
            db::open(&config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Admin { command } => admin(command, config).await,
    }
}

async fn admin(command: AdminCommand, config: Config) -> anyhow::Result<()> {
    let state = server::build_state(config).await?;
    match command {
        AdminCommand::CreateUser {
            username,
            email,
            password_stdin: _,
            admin,
        } => {
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password)?;
            let password = password.trim_end_matches(['\n', '\r']).to_owned();
            let user = users::create(
                &state.db,
                users::NewUser {
                    username,
                    email,
                    password,
                    is_admin: admin,
                },
            )
            .await
            .map_err(describe)?;
            eprintln!(
                "created user {} (id {}{})",
                user.username,
                user.id,
                if user.is_admin { ", admin" } else { "" }
            );
            Ok(())
        }
        AdminCommand::CreateToken { username, name } => {
            let user = users::find_person(&state.db, &username)
                .await
                .map_err(describe)?
                .ok_or_else(|| anyhow::anyhow!("no user named '{username}'"))?;
            let created = tokens::create(&state.db, user.id, &name)
                .await
                .map_err(describe)?;
            println!("{}", created.secret);
            Ok(())
        }
    }
}

/// Turns a service error into a terminal message, with each bad field spelled out.
fn describe(err: crate::error::Error) -> anyhow::Error {
    match err {
        crate::error::Error::Validation(fields) => anyhow::anyhow!(
            "{}",
            fields
                .iter()
                .map(|(field, msg)| format!("{field}: {msg}"))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::anyhow!("{other}"),
    }
}
