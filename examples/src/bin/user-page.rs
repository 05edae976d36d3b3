//! `cargo run --bin user-page -- [--user ID]`: prints a user's page (profile, latest photos,
//! unread notifications), read with one collection query; without `--user`, the page of the
//! first user a scan finds.

use anyhow::Context as _;
use clap::Parser;
use dynatable_example::User;
use dynatable_example::table_args::TableArgs;
use dynatable_example::user_page::read_user_page;
use futures::TryStreamExt as _;

/// Prints a user's page, read with one collection query.
#[derive(Debug, Parser)]
#[command(name = "user-page", version)]
struct Arguments {
    /// The user's id (default: the first user a scan finds).
    #[arg(long)]
    user: Option<String>,
    #[command(flatten)]
    target: TableArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let arguments = Arguments::parse();
    let table = arguments.target.table().await;
    let user_id = match arguments.user {
        Some(user) => user,
        None => {
            let first = Box::pin(table.scan::<User>().page_size(100).stream())
                .try_next()
                .await
                .with_context(|| format!("scanning {} for a user", arguments.target.table))?;
            match first {
                Some(user) => user.user_id,
                None => anyhow::bail!("table {} holds no user", arguments.target.table),
            }
        }
    };
    let page = read_user_page(&table, &user_id)
        .await
        .with_context(|| format!("reading the page of user {user_id}"))?;
    let Some(user) = &page.user else {
        anyhow::bail!("no user {user_id} in table {}", arguments.target.table);
    };
    println!("{} <{}> (user {})", user.username, user.email, user.user_id);
    if !user.bio.is_empty() {
        println!("  {}", user.bio);
    }
    println!("  latest photos ({}):", page.photos.len());
    for photo in &page.photos {
        println!("    {}  {}", photo.created_at, photo.url);
    }
    println!("  unread notifications: {}", page.unread.len());
    for notification in &page.unread {
        println!("    {}", notification.message);
    }
    Ok(())
}
