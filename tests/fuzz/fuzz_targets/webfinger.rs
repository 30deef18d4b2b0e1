//! Hostile WebFinger answers: reading them must never panic, an accepted answer always
//! names an http(s) URL, and a follow page made from its template is always an https one.
#![no_main]

use herold_federation::webfinger::parse_jrd;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(jrd) = parse_jrd(data) {
        let url = url::Url::parse(&jrd.actor).expect("an accepted actor is a URL");
        assert!(matches!(url.scheme(), "http" | "https"), "{}", jrd.actor);
        if let Some(page) = jrd.follow_url("https://herold.example/users/press", false) {
            assert_eq!(page.scheme(), "https", "{page}");
        }
    }
});
