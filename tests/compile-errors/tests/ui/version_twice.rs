use dynatable_core::entity;

#[entity(pk = "ORDER#{order_id}", sk = "ORDER")]
pub struct Order {
    pub order_id: String,
    #[entity(version)]
    pub version: u64,
    #[entity(version)]
    pub revision: u64,
}

fn main() {}
