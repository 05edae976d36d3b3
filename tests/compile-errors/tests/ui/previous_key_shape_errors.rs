use dynatable_core::entity;

#[entity(
    pk = "USER#{user_id}",
    sk = "ORDER#{order_id}",
    index(name = "GSI1", pk = "ORDER#{order_id}"),
    previous_key(until = "0.2.0"),
    previous_key(until = "0.3.0", index(name = "GSI9", pk = "O#{order_id}")),
    previous_key(until = "0.4.0", index(name = "GSI1", pk = "O#{order_id}", sk = "{user_id}")),
    previous_key(until = "0.5.0", sk = "O#{order_id}", from = "0.1.0")
)]
pub struct Order {
    pub user_id: String,
    pub order_id: String,
}

fn main() {}
