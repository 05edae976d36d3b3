use dynatable_core::entity;

#[entity(
    pk = "USER#{user_id}",
    sk = "ORDER#{created}#{order_id}",
    previous_key(until = "v2", sk = "ORDER#{order_id}"),
    previous_key(sk = "O#{order_id}")
)]
pub struct Order {
    pub user_id: String,
    pub order_id: String,
    pub created: u64,
}

fn main() {}
