//! Hostile activity, actor and key documents: reading them must never panic, whatever shape
//! of key they carry (PEM, multibase, in `publicKey` or `assertionMethod`), nor may telling
//! an activity's kind apart.
#![no_main]

use herold_federation::incoming::Incoming;
use herold_federation::vocab::{id_of, key_controller, key_material, listed_keys, parse_actor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = parse_actor(&doc, None, 0);
        let sender = doc.get("actor").and_then(id_of).unwrap_or_default();
        let _ = Incoming::classify(&doc, sender);
        for (id, key) in listed_keys(&doc) {
            let _ = parse_actor(&doc, Some(id), 0);
            let _ = key_controller(key);
            if let Ok(key) = key_material(key) {
                let _ = key.to_pem();
            }
        }
        for field in ["actor", "object", "id"] {
            if let Some(v) = doc.get(field) {
                let _ = id_of(v);
            }
        }
    }
});
