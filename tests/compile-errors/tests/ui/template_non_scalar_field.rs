use dynatable_core::entity;

#[entity(pk = "USER#{user_id}", sk = "TAGS#{tags}")]
pub struct Tagged {
    pub user_id: String,
    pub tags: Vec<String>,
}

fn main() {}
