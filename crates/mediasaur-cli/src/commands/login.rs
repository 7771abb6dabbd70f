//! `login`, `logout` and `profiles`: profiles in the config file, their API keys in the OS keyring.

use std::io::{IsTerminal, Read};

use clap::Args;
use mediasaur::profile::Profile;
use mediasaur::{ApiKey, ClientConfig, ClientError, UploadClient};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::output::{print_json, print_line, print_table};

/// The most bytes of stdin `login` reads.
const MAX_KEY_INPUT: u64 = 4096;

/// `mediasaur login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The Upload API's base URL, e.g. http://127.0.0.1:8080.
    #[arg(long, value_name = "URL")]
    endpoint: String,
    /// Bucket that uploads and listings use when they name none.
    #[arg(long, value_name = "B")]
    bucket: Option<String>,
    /// Prefix put before every uploaded path, e.g. uploads/2026.
    #[arg(long, value_name = "P", default_value = "", hide_default_value = true)]
    prefix: String,
    /// Save the key without checking it against the server first.
    #[arg(long)]
    no_verify: bool,
}

/// `mediasaur profiles`.
#[derive(Debug, Args)]
pub struct ProfilesArgs {
    /// Make NAME the default profile, then list.
    #[arg(long, value_name = "NAME")]
    set_default: Option<String>,
}

/// A profile as `login` and `profiles` print it. Never the key: only whether one is stored.
#[derive(Debug, Serialize)]
struct ProfileView {
    name: String,
    endpoint: String,
    bucket: Option<String>,
    prefix: String,
    default: bool,
    /// `None` when the keyring could not be asked.
    key_stored: Option<bool>,
}

impl ProfileView {
    fn new(profile: &Profile, default: bool, key_stored: Option<bool>) -> Self {
        Self {
            name: profile.name.clone(),
            endpoint: profile.endpoint.to_string(),
            bucket: profile.bucket.as_ref().map(|b| b.as_str().to_owned()),
            prefix: profile.prefix.clone(),
            default,
            key_stored,
        }
    }
}

/// Reads the key, checks it, stores it in the keyring and saves the profile.
pub async fn login(ctx: &Context, json: bool, args: LoginArgs) -> CliResult<()> {
    let name = ctx.profile_name()?;
    // Check everything that can be wrong before asking for the key.
    let profile = Profile::new(&name, &args.endpoint, args.bucket.as_deref(), &args.prefix)?;
    let key = read_key(&name)?;
    if !args.no_verify {
        verify(&profile, key.clone()).await?;
    }
    let (keyring, profile_name) = (ctx.stores.keyring.clone(), name.clone());
    tokio::task::spawn_blocking(move || keyring.store(&profile_name, &key))
        .await
        .map_err(|e| {
            CliError::new(
                "keyring_unavailable",
                format!("the keyring task failed: {e}"),
            )
        })??;
    ctx.stores.profiles.save(&profile)?;
    let default = ctx.stores.profiles.default_name()? == name;
    if json {
        print_json(&ProfileView::new(&profile, default, Some(true)))?;
    } else {
        let checked = if args.no_verify {
            "not checked"
        } else {
            "checked"
        };
        print_line(&format!(
            "Logged in as profile {name:?} at {} (key {checked}, stored in the OS keyring){}",
            profile.endpoint,
            if default {
                "; it is the default profile"
            } else {
                ""
            }
        ))?;
    }
    Ok(())
}

/// The key from stdin when it is piped, else typed at a prompt without echo. Never from argv.
fn read_key(profile: &str) -> CliResult<ApiKey> {
    let stdin = std::io::stdin();
    let raw = if stdin.is_terminal() {
        Zeroizing::new(
            rpassword::prompt_password(format!("API key for profile {profile:?}: "))
                .map_err(|e| CliError::new("io", format!("cannot read the key: {e}")))?,
        )
    } else {
        let mut text = Zeroizing::new(String::new());
        // Keys are a few dozen bytes; a runaway pipe is not read to its end.
        stdin
            .lock()
            .take(MAX_KEY_INPUT)
            .read_to_string(&mut text)
            .map_err(|e| CliError::new("io", format!("cannot read the key from stdin: {e}")))?;
        text
    };
    if raw.trim().is_empty() {
        return Err(CliError::new(
            "unauthorized",
            "no API key given: pipe it on stdin or type it at the prompt",
        ));
    }
    Ok(ApiKey::parse(&raw)?)
}

/// One cheap authenticated request, so a wrong key or endpoint is caught before anything is saved.
async fn verify(profile: &Profile, key: ApiKey) -> CliResult<()> {
    let client = UploadClient::new(&profile.endpoint, key, ClientConfig::default())?;
    match client.list_files(None, "", None, 1).await {
        Ok(_) => Ok(()),
        Err(ClientError::Api {
            status: 401,
            message,
            ..
        }) => Err(CliError::new(
            "unauthorized",
            format!(
                "the server refused this key ({message}); nothing was saved. \
                 Check the key, or pass --no-verify to save it anyway"
            ),
        )),
        Err(error @ ClientError::Api { status: 404, .. }) => Err(CliError::new(
            "not_found",
            format!(
                "{} does not look like the Upload API's base URL (it answered: {error}); \
                 nothing was saved",
                profile.endpoint
            ),
        )),
        Err(error) => Err(CliError::new(
            error.code(),
            format!(
                "could not check the key against {}: {error}; nothing was saved \
                 (pass --no-verify to save it anyway)",
                profile.endpoint
            ),
        )),
    }
}

/// Deletes the profile and its key.
pub async fn logout(ctx: &Context, json: bool) -> CliResult<()> {
    let name = ctx.profile_name()?;
    let existed = ctx.stores.profiles.remove(&name)?;
    let (keyring, profile_name) = (ctx.stores.keyring.clone(), name.clone());
    let had_key = tokio::task::spawn_blocking(move || keyring.delete(&profile_name))
        .await
        .map_err(|e| {
            CliError::new(
                "keyring_unavailable",
                format!("the keyring task failed: {e}"),
            )
        })?
        .map_err(|e| {
            let removed = if existed {
                "the profile was removed, but "
            } else {
                ""
            };
            CliError::new(
                e.code(),
                format!("{removed}its key could not be deleted from the keyring: {e}"),
            )
        })?;
    if !existed && !had_key {
        return Err(CliError::new(
            "config",
            format!("no profile named {name:?} and no key stored for it"),
        ));
    }
    if json {
        print_json(&serde_json::json!({
            "profile": name,
            "profile_removed": existed,
            "key_deleted": had_key,
        }))?;
    } else {
        print_line(&format!(
            "Logged out of profile {name:?}: profile and key removed"
        ))?;
    }
    Ok(())
}

/// Lists the profiles, marking the default one and saying whether each has a key.
pub async fn profiles(ctx: &Context, json: bool, args: ProfilesArgs) -> CliResult<()> {
    if let Some(name) = &args.set_default {
        ctx.stores.profiles.set_default(name)?;
    }
    let default = ctx.stores.profiles.default_name()?;
    let mut views = Vec::new();
    for profile in ctx.stores.profiles.list()? {
        // Whether an entry exists, asked without reading the secret.
        let (keyring, name) = (ctx.stores.keyring.clone(), profile.name.clone());
        let key_stored = match tokio::task::spawn_blocking(move || keyring.has_key(&name)).await {
            Ok(Ok(stored)) => Some(stored),
            Ok(Err(error)) => {
                tracing::debug!(profile = %profile.name, %error, "cannot ask the keyring");
                None
            }
            Err(_) => None,
        };
        views.push(ProfileView::new(
            &profile,
            profile.name == default,
            key_stored,
        ));
    }
    if json {
        return print_json(&views);
    }
    if views.is_empty() {
        eprintln!(
            "no profiles in {}; create one with `mediasaur login --endpoint URL`",
            ctx.stores.profiles.path().display()
        );
        return Ok(());
    }
    let rows: Vec<[String; 5]> = views
        .iter()
        .map(|v| {
            let marker = if v.default { "*" } else { " " };
            [
                format!("{marker} {}", v.name),
                v.endpoint.clone(),
                v.bucket.clone().unwrap_or_else(|| "-".into()),
                if v.prefix.is_empty() {
                    "-".into()
                } else {
                    v.prefix.clone()
                },
                match v.key_stored {
                    Some(true) => "stored",
                    Some(false) => "missing",
                    None => "unknown",
                }
                .into(),
            ]
        })
        .collect();
    print_table(&["  NAME", "ENDPOINT", "BUCKET", "PREFIX", "KEY"], &rows)
}
