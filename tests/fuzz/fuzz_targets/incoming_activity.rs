//! Hostile activity and actor documents: reading them must never panic.
#![no_main]

use herold_federation::vocab::{id_of, parse_actor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = parse_actor(&doc, 0);
        for field in ["actor", "object", "id"] {
            if let Some(v) = doc.get(field) {
                let _ = id_of(v);
            }
        }
    }
});
