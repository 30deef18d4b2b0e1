//! Hostile WebFinger answers: reading them must never panic, and an accepted answer always
//! names an http(s) URL.
#![no_main]

use herold_federation::webfinger::parse_jrd;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(jrd) = parse_jrd(data) {
        let url = url::Url::parse(&jrd.actor).expect("an accepted actor is a URL");
        assert!(matches!(url.scheme(), "http" | "https"), "{}", jrd.actor);
    }
});
