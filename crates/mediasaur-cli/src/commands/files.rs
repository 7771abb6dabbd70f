//! `files list|get|delete`: the File objects on the server.

use clap::{Args, Subcommand};
use mediasaur::api::messages::FileList;
use mediasaur::api::{BucketName, FileObject};
use mediasaur::ClientConfig;

use crate::args::human_bytes;
use crate::context::Context;
use crate::error::CliResult;
use crate::output::{print_json, print_line, print_table};

/// `mediasaur files`.
#[derive(Debug, Subcommand)]
pub enum FilesCommand {
    /// Lists File objects, ordered by bucket then path.
    List(ListArgs),
    /// Shows one File object.
    Get {
        /// The file's id (file_…).
        id: String,
    },
    /// Deletes one File object.
    Delete {
        /// The file's id (file_…).
        id: String,
    },
}

/// `mediasaur files list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this bucket (default: the profile's bucket, else every bucket).
    #[arg(long, value_name = "B")]
    bucket: Option<String>,
    /// Only paths starting with this.
    #[arg(long, value_name = "P", default_value = "", hide_default_value = true)]
    prefix: String,
    /// Files per page (1-1000).
    #[arg(long, value_name = "N", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    limit: u32,
    /// Start after this cursor (the `next_cursor` of an earlier page).
    #[arg(long, value_name = "CURSOR", conflicts_with = "all")]
    cursor: Option<String>,
    /// Follow `next_cursor` to list every file.
    #[arg(long)]
    all: bool,
}

/// Runs a `files` command.
pub async fn run(ctx: &Context, json: bool, command: FilesCommand) -> CliResult<()> {
    let (profile, client) = ctx.client(ClientConfig::default()).await?;
    match command {
        FilesCommand::List(args) => {
            let bucket = match args.bucket {
                Some(bucket) => {
                    Some(BucketName::parse(&bucket).map_err(mediasaur::ClientError::from)?)
                }
                None => profile.bucket,
            };
            let mut list = FileList {
                files: Vec::new(),
                next_cursor: args.cursor,
            };
            loop {
                let page = client
                    .list_files(
                        bucket.as_ref(),
                        &args.prefix,
                        list.next_cursor.as_deref(),
                        args.limit,
                    )
                    .await?;
                list.files.extend(page.files);
                list.next_cursor = page.next_cursor;
                if !args.all || list.next_cursor.is_none() {
                    break;
                }
            }
            if json {
                return print_json(&list);
            }
            print_files(&list.files)?;
            if let Some(cursor) = &list.next_cursor {
                eprintln!("(more files: pass --all, or --cursor {cursor} for the next page)");
            }
            Ok(())
        }
        FilesCommand::Get { id } => {
            let file = client.get_file(&id).await?;
            if json {
                return print_json(&file);
            }
            print_details(&file)
        }
        FilesCommand::Delete { id } => {
            let file = client.delete_file(&id).await?;
            if json {
                return print_json(&file);
            }
            print_line(&format!(
                "deleted {} ({}/{})",
                file.id, file.bucket, file.path
            ))
        }
    }
}

fn print_files(files: &[FileObject]) -> CliResult<()> {
    if files.is_empty() {
        eprintln!("no files");
        return Ok(());
    }
    let rows: Vec<[String; 4]> = files
        .iter()
        .map(|f| {
            [
                f.id.clone(),
                human_bytes(f.filesize),
                f.mime_type.clone(),
                format!("{}/{}", f.bucket, f.path),
            ]
        })
        .collect();
    print_table(&["ID", "SIZE", "TYPE", "PATH"], &rows)
}

fn print_details(file: &FileObject) -> CliResult<()> {
    let mut rows = vec![
        ["id".to_owned(), file.id.clone()],
        ["bucket".to_owned(), file.bucket.clone()],
        ["path".to_owned(), file.path.clone()],
        [
            "size".to_owned(),
            format!("{} ({} bytes)", human_bytes(file.filesize), file.filesize),
        ],
        ["kind".to_owned(), file.kind.as_str().to_owned()],
        ["type".to_owned(), file.mime_type.clone()],
    ];
    if let (Some(width), Some(height)) = (file.width, file.height) {
        rows.push(["dimensions".to_owned(), format!("{width}x{height}")]);
    }
    if let Some(duration) = file.duration {
        rows.push(["duration".to_owned(), format!("{duration:.3} s")]);
    }
    rows.extend([
        ["sha256".to_owned(), file.sha256.clone()],
        ["url".to_owned(), file.url.clone()],
        ["created".to_owned(), file.created.to_rfc3339()],
        ["updated".to_owned(), file.updated.to_rfc3339()],
    ]);
    let width = rows.iter().map(|[k, _]| k.len()).max().unwrap_or(0);
    for [key, value] in rows {
        print_line(&format!("{key:width$}  {value}"))?;
    }
    Ok(())
}
