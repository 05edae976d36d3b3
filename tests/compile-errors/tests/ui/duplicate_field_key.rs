use dynatable_core::entity;

#[entity(pk = "USER#{user_id}", sk = "PROFILE")]
pub struct User {
    pub user_id: String,
    #[entity(rename = "displayName", rename = "name")]
    pub display_name: String,
}

fn main() {}
