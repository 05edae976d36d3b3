use dynatable_core::entity;

#[entity(
    pk = "USER#{user_id}",
    sk = "ORDER#{created}#{order_id}",
    previous_key(until = "0.2.0", sk = "ORDER#{order_id}"),
    previous_key(until = "0.3.0", pk = "USER#{user_id}")
)]
pub struct Order {
    pub user_id: String,
    pub order_id: String,
    pub created: u64,
}

fn main() {}
