use dynatable_core::entity;

#[entity(pk = "USER#{}", sk = "PROFILE")]
pub struct User {
    pub user_id: String,
}

fn main() {}
