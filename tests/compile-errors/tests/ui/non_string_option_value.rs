use dynatable_core::entity;

#[entity(pk = 42, sk = "PROFILE")]
pub struct User {
    pub user_id: String,
}

fn main() {}
