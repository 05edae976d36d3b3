use dynatable_core::entity;

#[entity(pk = "USER#{user_id}", sk = "PROFILE", rename_all = "camelCase")]
pub struct User {
    pub user_id: String,
    pub display_name: String,
    #[entity(rename = "displayName")]
    pub name: String,
}

fn main() {}
