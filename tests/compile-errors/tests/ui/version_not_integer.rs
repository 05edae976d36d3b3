use dynatable_core::entity;

#[entity(pk = "ORDER#{order_id}", sk = "ORDER")]
pub struct Order {
    pub order_id: String,
    #[entity(version)]
    pub version: String,
    #[entity(version)]
    pub revision: Option<u64>,
}

fn main() {}
