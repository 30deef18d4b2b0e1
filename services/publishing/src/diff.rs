//! What an edit changes, word by word, so that an approver reads the difference instead of
//! comparing two texts by eye.

/// A run of text that both versions share, or that only one of them has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Same(String),
    Removed(String),
    Added(String),
}

/// Beyond this many cells the middle of two texts is shown as replaced whole: the work per
/// page stays bounded whatever two texts an author writes (5,000 characters each at most).
const MAX_CELLS: usize = 4_000_000;

/// Words and the spaces between them, kept apart so that a changed word does not take its
/// neighbours' spacing with it.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut space = None;
    for (i, c) in text.char_indices() {
        let is_space = c.is_whitespace();
        if space.is_some_and(|s| s != is_space) {
            out.push(&text[start..i]);
            start = i;
        }
        space = Some(is_space);
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// The changes that turn `old` into `new`, with neighbouring runs of one kind merged.
pub fn words(old: &str, new: &str) -> Vec<Change> {
    let (a, b) = (tokens(old), tokens(new));
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..].iter().rev().zip(b[prefix..].iter().rev()).take_while(|(x, y)| x == y).count();
    let (mid_a, mid_b) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut out = Vec::new();
    out.extend(a[..prefix].iter().map(|t| Change::Same((*t).to_owned())));
    out.extend(middle(mid_a, mid_b));
    out.extend(a[a.len() - suffix..].iter().map(|t| Change::Same((*t).to_owned())));
    merge(out)
}

/// A longest common subsequence of the differing middle parts.
fn middle(a: &[&str], b: &[&str]) -> Vec<Change> {
    let replaced = || {
        let removed = a.iter().map(|t| Change::Removed((*t).to_owned()));
        removed.chain(b.iter().map(|t| Change::Added((*t).to_owned()))).collect()
    };
    if a.is_empty() || b.is_empty() || (a.len() + 1) * (b.len() + 1) > MAX_CELLS {
        return replaced();
    }
    // lcs[i][j]: the longest common run of a[i..] and b[j..].
    let width = b.len() + 1;
    let mut lcs = vec![0u32; (a.len() + 1) * width];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i * width + j] = if a[i] == b[j] {
                lcs[(i + 1) * width + j + 1] + 1
            } else {
                lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            out.push(Change::Same(a[i].to_owned()));
            (i, j) = (i + 1, j + 1);
        } else if lcs[(i + 1) * width + j] >= lcs[i * width + j + 1] {
            out.push(Change::Removed(a[i].to_owned()));
            i += 1;
        } else {
            out.push(Change::Added(b[j].to_owned()));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|t| Change::Removed((*t).to_owned())));
    out.extend(b[j..].iter().map(|t| Change::Added((*t).to_owned())));
    out
}

/// Joins runs of one kind into phrases. A space the versions share only between changes
/// anchors nothing a reader cares about: it joins them ("<del>ist offen.</del>", not
/// "<del>ist</del> <del>offen.</del>").
fn merge(changes: Vec<Change>) -> Vec<Change> {
    let is_change = |c: Option<&Change>| matches!(c, Some(Change::Removed(_) | Change::Added(_)));
    let mut out: Vec<Change> = Vec::new();
    let (mut removed, mut added) = (String::new(), String::new());
    for (i, change) in changes.iter().enumerate() {
        match change {
            Change::Same(t)
                if t.trim().is_empty()
                    && i > 0
                    && is_change(changes.get(i - 1))
                    && is_change(changes.get(i + 1)) =>
            {
                removed.push_str(t);
                added.push_str(t);
            }
            Change::Removed(t) => removed.push_str(t),
            Change::Added(t) => added.push_str(t),
            Change::Same(t) => {
                flush(&mut out, &mut removed, &mut added);
                match out.last_mut() {
                    Some(Change::Same(run)) => run.push_str(t),
                    _ => out.push(Change::Same(t.clone())),
                }
            }
        }
    }
    flush(&mut out, &mut removed, &mut added);
    out
}

fn flush(out: &mut Vec<Change>, removed: &mut String, added: &mut String) {
    if !removed.is_empty() {
        out.push(Change::Removed(std::mem::take(removed)));
    }
    if !added.is_empty() {
        out.push(Change::Added(std::mem::take(added)));
    }
}

#[cfg(test)]
mod tests {
    use super::Change::{Added, Removed, Same};
    use super::*;

    fn s(text: &str) -> String {
        text.to_owned()
    }

    #[test]
    fn a_changed_word_is_removed_and_added_and_the_rest_stays() {
        assert_eq!(
            words("Tag der offenen Tür am Samstag.", "Tag der offenen Tür am Sonntag."),
            vec![Same(s("Tag der offenen Tür am ")), Removed(s("Samstag.")), Added(s("Sonntag."))]
        );
    }

    #[test]
    fn neighbouring_changes_read_as_phrases() {
        assert_eq!(
            words("Die Brücke ist offen.", "Die Brücke bleibt bis Freitag gesperrt."),
            vec![Same(s("Die Brücke ")), Removed(s("ist offen.")), Added(s("bleibt bis Freitag gesperrt."))]
        );
        assert_eq!(
            words("Gesperrt.", "Gesperrt. Umleitung über die Nordstraße."),
            vec![Same(s("Gesperrt.")), Added(s(" Umleitung über die Nordstraße."))]
        );
    }

    #[test]
    fn identical_and_empty_texts() {
        assert_eq!(words("Gleich", "Gleich"), vec![Same(s("Gleich"))]);
        assert_eq!(words("", "Neu"), vec![Added(s("Neu"))]);
        assert_eq!(words("Alt", ""), vec![Removed(s("Alt"))]);
    }

    /// Each version reads back from its side of the changes.
    fn sides(changes: &[Change]) -> (String, String) {
        let (mut old, mut new) = (String::new(), String::new());
        for c in changes {
            match c {
                Same(t) => {
                    old.push_str(t);
                    new.push_str(t);
                }
                Removed(t) => old.push_str(t),
                Added(t) => new.push_str(t),
            }
        }
        (old, new)
    }

    #[test]
    fn the_work_is_bounded_and_both_versions_read_back() {
        // 5,000 tokens each: past the bound, so the middle is replaced whole.
        let (old, new) = ("a ".repeat(2_500), "b ".repeat(2_500));
        let changes = words(&old, &new);
        assert_eq!(sides(&changes), (old, new));
        assert_eq!(changes.len(), 3, "replaced whole, then the shared last space");
        let (old, new) = ("eins zwei drei vier fünf", "null eins drei vier sechs sieben");
        assert_eq!(sides(&words(old, new)), (old.to_owned(), new.to_owned()));
    }
}
