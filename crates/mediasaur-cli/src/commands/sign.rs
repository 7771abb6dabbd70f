//! `sign get|put BUCKET/PATH` (URLs signed locally with the key) and `token` (a single-use upload
//! token minted by the server).

use clap::{Args, Subcommand};
use mediasaur::api::messages::SignatureCreated;
use mediasaur::api::signed_url::{SignedMethod, EXPIRY_PARAM};
use mediasaur::ClientConfig;

use crate::args::{parse_bucket_path, parse_size, BucketPath};
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::output::{print_json, print_line};

/// `mediasaur sign`.
#[derive(Debug, Subcommand)]
pub enum SignCommand {
    /// A URL that lets anyone download BUCKET/PATH until it expires.
    Get(SignArgs),
    /// A URL that lets anyone upload one file to BUCKET/PATH until it expires.
    Put {
        #[command(flatten)]
        common: SignArgs,
        /// Largest body the URL accepts (bytes, or 512K, 10M, 1.5G).
        #[arg(long, value_name = "N", value_parser = parse_size)]
        max_size: Option<u64>,
    },
}

/// What both kinds of signed URL take.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// Bucket and object path, e.g. default/photos/cat.jpg.
    #[arg(value_name = "BUCKET/PATH", value_parser = parse_bucket_path)]
    target: BucketPath,
    /// Seconds the URL stays valid.
    #[arg(long, value_name = "S", default_value_t = 3600)]
    expires_in: u64,
}

/// `mediasaur token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Bucket the token may write to (default: the profile's).
    #[arg(long, value_name = "B")]
    bucket: Option<String>,
    /// The exact object path the token may write to.
    #[arg(long, value_name = "P")]
    path: String,
    /// Seconds the token stays valid (default: the server's, one hour).
    #[arg(long, value_name = "S")]
    expires_in: Option<u64>,
    /// Largest upload the token allows (bytes, or 512K, 10M, 1.5G).
    #[arg(long, value_name = "N", value_parser = parse_size)]
    max_size: Option<u64>,
}

/// Signs a URL locally and prints it.
pub async fn sign(ctx: &Context, json: bool, command: SignCommand) -> CliResult<()> {
    let (method, args, max_size) = match command {
        SignCommand::Get(args) => (SignedMethod::Get, args, None),
        SignCommand::Put { common, max_size } => (SignedMethod::Put, common, max_size),
    };
    let (_, client) = ctx.client(ClientConfig::default()).await?;
    let url = client.sign_url(
        method,
        &args.target.bucket,
        &args.target.path,
        args.expires_in,
        max_size,
    )?;
    if json {
        let expiry = url
            .query_pairs()
            .find(|(name, _)| name == EXPIRY_PARAM)
            .and_then(|(_, value)| value.parse().ok())
            .unwrap_or_default();
        print_json(&SignatureCreated {
            url: url.to_string(),
            method: method.as_str().to_owned(),
            expiry,
        })
    } else {
        print_line(url.as_str())
    }
}

/// Mints an upload token and prints it.
pub async fn token(ctx: &Context, json: bool, args: TokenArgs) -> CliResult<()> {
    let (profile, client) = ctx.client(ClientConfig::default()).await?;
    let bucket = match (args.bucket, profile.bucket) {
        (Some(bucket), _) => bucket,
        (None, Some(bucket)) => bucket.as_str().to_owned(),
        (None, None) => return Err(no_bucket(&profile.name)),
    };
    let created = client
        .create_token(&bucket, &args.path, args.expires_in, args.max_size)
        .await?;
    if json {
        print_json(&created)
    } else {
        print_line(&created.token)
    }
}

/// The error of a command that needs a bucket and got none.
pub fn no_bucket(profile: &str) -> CliError {
    CliError::new(
        "bucket_required",
        format!(
            "no bucket: pass --bucket B, or give profile {profile:?} a default bucket with \
             `mediasaur login --profile {profile} --endpoint URL --bucket B`"
        ),
    )
}
