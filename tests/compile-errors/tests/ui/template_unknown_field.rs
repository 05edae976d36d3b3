use dynatable_core::entity;

#[entity(pk = "USER#{usr_id}", sk = "PROFILE")]
pub struct User {
    pub user_id: String,
}

fn main() {}
