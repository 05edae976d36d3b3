use dynatable_core::{entity, Timestamp};

#[entity(pk = "USER#{user_id}", sk = "SESSION#{updated}")]
pub struct Session {
    pub user_id: String,
    #[entity(updated_at)]
    pub updated: Timestamp,
    #[entity(updated_at)]
    pub touched: Option<Timestamp>,
    #[entity(ttl, default = 0)]
    pub expires: u64,
    #[entity(created_at, ttl)]
    pub born: Timestamp,
}

fn main() {}
