//! Hostile signature headers: parsing must refuse or accept, never panic.
#![no_main]

use herold_federation::signatures::{parse_request_signature, sf, RequestView};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\n');
    let (a, b, c, body) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let _ = sf::parse_dictionary(a);
    let _ = sf::parse_dictionary_of_inner_lists(a);
    let target = url::Url::parse("https://herold.example/users/press/inbox?x=1").unwrap();
    for headers in [
        vec![("signature".to_owned(), a.to_owned()), ("digest".to_owned(), b.to_owned()), ("date".to_owned(), c.to_owned())],
        vec![
            ("signature-input".to_owned(), a.to_owned()),
            ("signature".to_owned(), b.to_owned()),
            ("content-digest".to_owned(), c.to_owned()),
        ],
    ] {
        let view = RequestView::new("POST", target.clone(), headers);
        if let Ok(sig) = parse_request_signature(&view, Some(body.as_bytes())) {
            let _ = sig.check_window(1_764_000_000);
        }
    }
});
