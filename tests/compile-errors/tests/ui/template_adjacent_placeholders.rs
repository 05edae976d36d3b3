use dynatable_core::entity;

#[entity(pk = "USER#{user_id}", sk = "PHOTO#{taken_at}{photo_id}")]
pub struct Photo {
    pub user_id: String,
    pub taken_at: u64,
    pub photo_id: String,
}

fn main() {}
