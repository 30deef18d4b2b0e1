use herold_federation::vocab::escape_html;

/// Plain text to the HTML subset Mastodon keeps: paragraphs on blank lines, `<br>` on single
/// newlines, and http(s) links. Everything else is escaped.
pub fn render_text(text: &str) -> String {
    let mut out = String::new();
    for para in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        out.push_str("<p>");
        let lines: Vec<String> = para.lines().map(linkify).collect();
        out.push_str(&lines.join("<br>"));
        out.push_str("</p>");
    }
    out
}

fn linkify(line: &str) -> String {
    let mut out = String::new();
    for (i, word) in line.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let trimmed = word.trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
        let is_link = (trimmed.starts_with("https://") || trimmed.starts_with("http://")) && url_ok(trimmed);
        if is_link {
            let href = escape_html(trimmed);
            out.push_str(&format!(
                "<a href=\"{href}\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">{href}</a>"
            ));
            out.push_str(&escape_html(&word[trimmed.len()..]));
        } else {
            out.push_str(&escape_html(word));
        }
    }
    out
}

fn url_ok(s: &str) -> bool {
    s.len() > "https://".len() && !s.contains(['<', '>', '"', '\''])
}

#[cfg(test)]
mod tests {
    use super::render_text;

    #[test]
    fn paragraphs_breaks_links_and_escaping() {
        assert_eq!(render_text("a\nb\n\nc"), "<p>a<br>b</p><p>c</p>");
        assert_eq!(render_text("<script>"), "<p>&lt;script&gt;</p>");
        assert_eq!(
            render_text("See https://bfdi.bund.de."),
            "<p>See <a href=\"https://bfdi.bund.de\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">https://bfdi.bund.de</a>.</p>"
        );
        assert_eq!(render_text("javascript:alert(1)"), "<p>javascript:alert(1)</p>");
    }
}
