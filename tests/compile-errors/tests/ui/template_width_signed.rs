use dynatable_core::entity;

#[entity(pk = "LOG#{log}", sk = "LINE#{delta:04}")]
pub struct Line {
    pub log: String,
    pub delta: i32,
}

fn main() {}
