use dynatable_core::entity;

#[entity(pk = "USER#{user_id}", sk = "PROFILE", index(name = "GSI1", pk = "EMAIL#{email}"))]
pub struct User {
    pub user_id: String,
    pub email: String,
    #[entity(rename = "PK")]
    pub partition: String,
    #[entity(rename = "GSI1PK")]
    pub index_key: String,
}

fn main() {}
