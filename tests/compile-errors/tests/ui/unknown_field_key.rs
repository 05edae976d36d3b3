use dynatable_core::entity;

#[entity(pk = "USER#{user_id}", sk = "PROFILE")]
pub struct User {
    pub user_id: String,
    #[entity(renme = "displayName")]
    pub display_name: String,
}

fn main() {}
