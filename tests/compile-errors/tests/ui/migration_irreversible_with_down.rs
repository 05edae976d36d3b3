use dynatable_migrate::{migration, Context, Migration, Result};

pub struct NormalizeUsernames;

#[migration(version = "0.2.0", irreversible = "originals are not kept")]
impl Migration for NormalizeUsernames {
    async fn up(&self, _ctx: &Context) -> Result<()> {
        Ok(())
    }
    async fn down(&self, _ctx: &Context) -> Result<()> {
        Ok(())
    }
}

fn main() {}
