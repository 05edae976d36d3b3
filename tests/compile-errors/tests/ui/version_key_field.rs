use dynatable_core::entity;

#[entity(
    pk = "ORDER#{order_id}",
    sk = "REV#{revision}",
)]
pub struct Order {
    pub order_id: String,
    #[entity(version)]
    pub revision: u64,
}

#[entity(pk = "CART#{cart_id}", sk = "CART", index(name = "GSI1", pk = "V#{version}"))]
pub struct Cart {
    pub cart_id: String,
    #[entity(version, default = 1)]
    pub version: u64,
}

fn main() {}
