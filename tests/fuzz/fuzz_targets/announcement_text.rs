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
    // The tags the page links are exactly the tags the Note carries.
    let mut linked: Vec<String> = html
        .match_indices("<a href=\"")
        .map(|(i, m)| &html[i + m.len()..])
        .filter_map(|rest| {
            let (href, after) = rest.split_once('"')?;
            after.starts_with(" class=\"mention hashtag\"").then(|| href.to_owned())
        })
        .collect();
    let mut extracted: Vec<String> = hashtags([text]).into_iter().map(|(_, lower)| urls.tag(&lower)).collect();
    linked.sort();
    linked.dedup();
    extracted.sort();
    assert_eq!(linked, extracted, "page and Note disagree on the tags of {text:?}");
});
