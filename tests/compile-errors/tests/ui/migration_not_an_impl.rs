use dynatable_migrate::migration;

#[migration(version = "0.1.0")]
pub struct AddUserBio;

fn main() {}
