//! `mediasaur`: the command line over the client core. This file is clap and dispatch only; the
//! commands live in `commands/`.

mod args;
mod commands;
mod context;
mod error;
mod output;
mod progress_ui;
mod queue_ui;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use commands::files::FilesCommand;
use commands::history::HistoryCommand;
use commands::login::{LoginArgs, ProfilesArgs};
use commands::queue::QueueCommand;
use commands::share::ShareArgs;
use commands::sign::{SignCommand, TokenArgs};
use commands::upload::UploadArgs;
use commands::watch::WatchCommand;
use context::Context;
use error::CliResult;

/// Upload files to a Mediasaur server, mint upload tokens, sign URLs and manage files.
///
/// API keys live in the OS keyring, never on the command line: `login` reads the key from stdin or
/// a prompt. Set MEDIASAUR_LOG (e.g. `debug`) for logs on stderr, MEDIASAUR_CONFIG_DIR to use
/// another profiles directory, MEDIASAUR_CLIENT_DATA_DIR another local database (history, queue).
#[derive(Debug, Parser)]
#[command(name = "mediasaur", version)]
struct Cli {
    /// The profile to use (default: the default profile; see `mediasaur profiles`).
    #[arg(long, global = true, value_name = "NAME", env = "MEDIASAUR_PROFILE")]
    profile: Option<String>,
    /// Print results as JSON on stdout (one document per line).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Save a profile (endpoint, bucket, prefix) and its API key, read from stdin or a prompt.
    Login(LoginArgs),
    /// Delete a profile and its API key.
    Logout,
    /// List the profiles (never their keys).
    Profiles(ProfilesArgs),
    /// Upload files and directories (recursively).
    Upload(UploadArgs),
    /// Mint a single-use upload token for one path.
    Token(TokenArgs),
    /// Sign a GET or PUT URL locally with the API key.
    #[command(subcommand)]
    Sign(SignCommand),
    /// List, show and delete files on the server.
    #[command(subcommand)]
    Files(FilesCommand),
    /// The transfer queue: list, pause, resume, retry, cancel, and run what is left.
    #[command(subcommand)]
    Queue(QueueCommand),
    /// Watched folders: finished files in them are uploaded on their own.
    #[command(subcommand)]
    Watch(WatchCommand),
    /// Search, export and show the local history of uploads.
    #[command(subcommand)]
    History(HistoryCommand),
    /// Make a download link for an uploaded file, valid for a while, and remember it.
    Share(ShareArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match run(cli).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> CliResult<ExitCode> {
    let ctx = Context::from_env(cli.profile)?;
    let json = cli.json;
    match cli.command {
        Command::Login(args) => commands::login::login(&ctx, json, args).await?,
        Command::Logout => commands::login::logout(&ctx, json).await?,
        Command::Profiles(args) => commands::login::profiles(&ctx, json, args).await?,
        Command::Upload(args) => return commands::upload::run(&ctx, json, args).await,
        Command::Token(args) => commands::sign::token(&ctx, json, args).await?,
        Command::Sign(command) => commands::sign::sign(&ctx, json, command).await?,
        Command::Files(command) => commands::files::run(&ctx, json, command).await?,
        Command::Queue(command) => return commands::queue::run(&ctx, json, command).await,
        Command::Watch(command) => return commands::watch::run(&ctx, json, command).await,
        Command::History(command) => commands::history::run(&ctx, json, command).await?,
        Command::Share(args) => commands::share::run(&ctx, json, args).await?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Logs on stderr, filtered by `MEDIASAUR_LOG` (default `warn`).
fn init_logging() {
    let filter =
        EnvFilter::try_from_env("MEDIASAUR_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn there_is_no_way_to_pass_a_key_in_argv() {
        for flag in ["--key", "--api-key", "--token"] {
            let parsed = Cli::try_parse_from([
                "mediasaur",
                "login",
                "--endpoint",
                "http://x",
                flag,
                "sk_abcdefghijklmnop0123",
            ]);
            assert!(parsed.is_err(), "{flag}");
        }
    }
}
