//! `mediasaur-server`: initialise a data dir, manage keys and buckets, and serve the Upload API.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use mediasaur_api::BucketName;
use mediasaur_server::{buckets, init_data_dir, keys, open_db, serve, AppState, ServerConfig};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use url::Url;

#[derive(Parser, Debug)]
#[command(
    name = "mediasaur-server",
    version,
    about = "The self-hostable Mediasaur Upload API"
)]
struct Cli {
    /// Data directory (database, blobs, partial uploads). Default: the platform data dir.
    #[arg(long, global = true, env = "MEDIASAUR_DATA_DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create the data dir, the `default` bucket and a first API key (printed once, on stdout).
    Init,
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Manage buckets.
    Buckets {
        #[command(subcommand)]
        command: BucketsCommand,
    },
    /// Serve the Upload API.
    Serve(ServeArgs),
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// Create a key; only the key is printed on stdout, once.
    Create {
        /// A label to recognise the key by.
        #[arg(long, default_value = "default")]
        name: String,
        /// Revoke other active keys with the same name.
        #[arg(long)]
        replace: bool,
    },
    /// List keys (never the secrets).
    List,
    /// Revoke a key by id (`key_…`); tokens it minted stop working.
    Revoke { id: String },
}

#[derive(Subcommand, Debug)]
enum BucketsCommand {
    /// Create a bucket.
    Create {
        name: String,
        /// Anyone may download its files without a signed URL.
        #[arg(long)]
        public: bool,
    },
    /// List buckets.
    List,
}

#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "MEDIASAUR_LISTEN")]
    listen: SocketAddr,
    /// URL clients reach this server at; signed URLs are signed for its host. Default: http://LISTEN.
    #[arg(long, env = "MEDIASAUR_PUBLIC_URL")]
    public_url: Option<Url>,
    /// Largest file accepted, in bytes.
    #[arg(long, default_value_t = mediasaur_server::DEFAULT_MAX_FILE_SIZE)]
    max_file_size: u64,
    /// Hours an unfinished tus upload is kept.
    #[arg(long, default_value_t = 24)]
    upload_expiry_hours: u64,
}

fn default_data_dir() -> Result<PathBuf> {
    directories::ProjectDirs::from("com", "Mediasaur", "mediasaur-server")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .context("no platform data dir; pass --data-dir")
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let data_dir = match cli.data_dir {
        Some(dir) => dir,
        None => default_data_dir()?,
    };
    match cli.command {
        Command::Init => match init_data_dir(&data_dir).await? {
            Some(key) => {
                eprintln!(
                    "Initialised {} with bucket `default`.\nYour API key is below; it is shown only once, store it now.",
                    data_dir.display()
                );
                println!("{key}");
            }
            None => eprintln!(
                "{} is already initialised; nothing changed.",
                data_dir.display()
            ),
        },
        Command::Keys { command } => {
            let db = open_db(&data_dir).await?;
            match command {
                KeysCommand::Create { name, replace } => {
                    let (id, key) = keys::create(&db, &name, replace).await?;
                    eprintln!("Created key {id} ({name}); it is shown only once:");
                    println!("{key}");
                }
                KeysCommand::List => {
                    for key in keys::list(&db).await? {
                        let status = key
                            .revoked_at
                            .map_or("active".to_owned(), |t| format!("revoked {t}"));
                        println!(
                            "{}\t{}\t{}\t{}\t{status}",
                            key.id, key.name, key.hint, key.created_at
                        );
                    }
                }
                KeysCommand::Revoke { id } => {
                    if !keys::revoke(&db, &id).await? {
                        bail!("no active key with id {id}");
                    }
                    eprintln!("Revoked {id}.");
                }
            }
        }
        Command::Buckets { command } => {
            let db = open_db(&data_dir).await?;
            match command {
                BucketsCommand::Create { name, public } => {
                    let bucket = BucketName::parse(&name)?;
                    if !buckets::create(&db, &bucket, public).await? {
                        bail!("a bucket named {name} already exists");
                    }
                    eprintln!(
                        "Created {} bucket {name}.",
                        if public { "public" } else { "private" }
                    );
                }
                BucketsCommand::List => {
                    for bucket in buckets::list(&db).await? {
                        let access = if bucket.public { "public" } else { "private" };
                        println!("{}\t{access}\t{}", bucket.name, bucket.created_at);
                    }
                }
            }
        }
        Command::Serve(args) => run_server(data_dir, args).await?,
    }
    Ok(())
}

async fn run_server(data_dir: PathBuf, args: ServeArgs) -> Result<()> {
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let bound = listener.local_addr()?;
    let public_url = match args.public_url {
        Some(url) => url,
        None => Url::parse(&format!("http://{bound}"))?,
    };
    let mut config = ServerConfig::new(data_dir, public_url.clone());
    config.max_file_size = args.max_file_size;
    config.upload_expiry = Duration::from_secs(args.upload_expiry_hours.max(1) * 3600);
    let state = AppState::open(config).await?;
    let shutdown = CancellationToken::new();
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        on_signal.cancel();
    });
    #[cfg(unix)]
    {
        let on_term = shutdown.clone();
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::spawn(async move {
            term.recv().await;
            on_term.cancel();
        });
    }
    tracing::info!("listening on {bound}, public URL {public_url}");
    serve(listener, state, shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}
