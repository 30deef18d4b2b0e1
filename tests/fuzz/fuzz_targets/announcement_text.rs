//! Any text an author types renders to the small HTML subset and nothing else: no panic, and
//! every '<' opens one of the elements the renderer writes itself.
#![no_main]

use herold_federation::Urls;
use herold_publishing::{hashtags, render_text};
use libfuzzer_sys::fuzz_target;

const ALLOWED: &[&str] = &["<p>", "</p>", "<br>", "<a href=\"", "</a>", "<span class=\"", "<span>", "</span>"];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let urls = Urls::new(url::Url::parse("https://herold.example").unwrap());
    let html = render_text(text, &urls, &[]);
    for (i, _) in html.match_indices('<') {
        assert!(ALLOWED.iter().any(|tag| html[i..].starts_with(tag)), "unexpected markup in {html:?}");
    }
    for (shown, lower) in hashtags([text]) {
        assert_eq!(shown.to_lowercase(), lower);
        assert!(html.contains(&urls.tag(&lower)), "tag {shown:?} not linked in {html:?}");
    }
});
