use dynatable_core::entity;

#[entity(pk = "ORDER#{order_id}", sk = "ORDER")]
pub struct Order {
    #[entity(generate = "ulid")]
    pub order_id: u64,
}

fn main() {}
