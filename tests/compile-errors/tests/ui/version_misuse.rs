//! What the version field forbids at the call sites: setting it in an update, batch writes of a
//! versioned entity, and `if_version` on an entity without one.
use dynatable_core::{entity, Entity, Table};

#[entity(pk = "ORDER#{order_id}", sk = "ORDER")]
pub struct Order {
    pub order_id: String,
    #[entity(version)]
    pub version: u64,
}

#[entity(pk = "CART#{cart_id}", sk = "CART")]
pub struct Cart {
    pub cart_id: String,
}

async fn misuse(table: Table, order: Order) {
    let f = Order::fields();
    let _ = table.update::<Order>(order.primary_key()).set(f.version, 7);
    let _ = table.batch_put(vec![order]).await;
    let _ = table.delete::<Cart>(Cart::key("c1")).if_version(3);
}

fn main() {
    let _ = misuse;
}
