//! Hostile web pages named as profile links: scanning them for a link back must never
//! panic, and a page that nowhere says `me` never verifies.
#![no_main]

use herold_federation::links::links_back;
use libfuzzer_sys::fuzz_target;

const PROFILE: &str = "https://herold.example/users/press";

fuzz_target!(|data: &[u8]| {
    let page = String::from_utf8_lossy(data);
    let verified = links_back(&page, PROFILE);
    if verified {
        assert!(page.to_ascii_lowercase().contains("me"), "verified without rel=me: {page:?}");
    }
    // Text without tags, followed by a genuine link, always verifies.
    if !page.contains('<') {
        let linked = format!("{page}<a rel=\"me\" href=\"{PROFILE}\">x</a>");
        assert!(links_back(&linked, PROFILE), "{linked:?}");
    }
});
