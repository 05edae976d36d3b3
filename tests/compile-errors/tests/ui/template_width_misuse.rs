use dynatable_core::entity;

#[entity(pk = "LOG#{log}", sk = "LINE#{seq:wide}")]
pub struct Line {
    pub log: String,
    pub seq: u32,
}

fn main() {}
