use dynatable_core::entity;

#[entity(pk = "ORDER#{order_id}", sk = "ORDER")]
pub struct Order {
    #[entity(generate = "ulid", default = "")]
    pub order_id: String,
}

fn main() {}
