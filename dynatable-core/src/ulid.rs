//! New ULIDs for `#[entity(generate = "ulid")]`, monotonic within a millisecond.

use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use ulid::Generator;

static GENERATOR: Mutex<Option<Generator>> = Mutex::new(None);

/// A new ULID, greater than every ULID this process made before: within one millisecond the
/// random part is incremented, so ids sort in creation order.
pub fn generate_ulid() -> String {
    let mut guard = GENERATOR.lock().unwrap_or_else(PoisonError::into_inner);
    let generator = guard.get_or_insert_with(Generator::new);
    loop {
        match generator.generate_from_datetime(SystemTime::now()) {
            Ok(id) => return id.to_string(),
            // 2^80 ids in one millisecond: wait for the next one.
            Err(_) => std::thread::yield_now(),
        }
    }
}
