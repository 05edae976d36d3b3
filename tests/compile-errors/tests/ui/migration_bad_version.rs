use dynatable_migrate::{migration, Context, Migration, Result};

pub struct AddUserBio;

#[migration(version = "0.4")]
impl Migration for AddUserBio {
    async fn up(&self, _ctx: &Context) -> Result<()> {
        Ok(())
    }
    async fn down(&self, _ctx: &Context) -> Result<()> {
        Ok(())
    }
}

fn main() {}
