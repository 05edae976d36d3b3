use dynatable_core::entity;

#[entity(
    pk = "USER#{user_id}",
    sk = "PROFILE",
    index(name = "GSI1", pk = "TAGS#{tags}")
)]
pub struct Member {
    pub user_id: String,
    pub tags: Option<Vec<String>>,
}

fn main() {}
