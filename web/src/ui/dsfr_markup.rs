//! The pages' own markup given the DSFR's classes, in DSFR mode: one pass over the rendered
//! `<main>` rather than a second copy of every page.
//!
//! Safe on rendered pages only: maud escapes `<`, `>` and `"` in every value, so every tag
//! and every `class="` in its output was written by our templates, never by harvested text.

/// Class names of Moisson's markup replaced by the DSFR's.
const REPLACED: [(&str, &str); 3] = [
    ("container", "fr-container"),
    ("button", "fr-btn"),
    // The chips keep their name (the browser walk finds them by it).
    ("chip", "fr-tag chip"),
];

/// Returns `html` (rendered by maud) with the DSFR's classes on containers, buttons, tags,
/// form fields and tables.
pub(crate) fn restyle(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let name_len = after.bytes().take_while(u8::is_ascii_alphanumeric).count();
        // Closing tags, comments and the like are kept as they are.
        let Some(end) = (name_len > 0).then(|| tag_end(after)).flatten() else {
            out.push('<');
            rest = after;
            continue;
        };
        let name = &after[..name_len];
        out.push('<');
        out.push_str(name);
        out.push_str(&with_classes(name, &after[name_len..end]));
        out.push('>');
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The index of the `>` closing the tag (outside quoted values).
fn tag_end(tag: &str) -> Option<usize> {
    let mut quoted = false;
    for (i, b) in tag.bytes().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'>' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// The value of attribute `name` in `attrs` (as maud writes them: ` name="value"`).
fn attribute<'a>(attrs: &'a str, name: &str) -> Option<(usize, &'a str)> {
    let key = format!(" {name}=\"");
    let at = attrs.find(&key)? + key.len();
    let len = attrs[at..].find('"')?;
    Some((at, &attrs[at..at + len]))
}

/// `attrs` of a `name` tag with the DSFR's classes added.
fn with_classes(name: &str, attrs: &str) -> String {
    let existing = attribute(attrs, "class");
    let mut classes: Vec<&str> = existing
        .map(|(_, v)| {
            v.split_ascii_whitespace()
                .map(|c| {
                    REPLACED
                        .iter()
                        .find(|(old, _)| *old == c)
                        .map_or(c, |(_, new)| new)
                })
                .collect()
        })
        .unwrap_or_default();
    let input_type = attribute(attrs, "type").map(|(_, v)| v);
    let added = match name {
        "button" => Some("fr-btn"),
        "select" => Some("fr-select"),
        "textarea" => Some("fr-input"),
        "label" => Some("fr-label"),
        "input" => match input_type {
            None | Some("text" | "search" | "number" | "email" | "url" | "date") => {
                Some("fr-input")
            }
            Some("file") => Some("fr-upload"),
            _ => None,
        },
        "div" if classes.contains(&"table-wrap") => Some("fr-table"),
        _ => None,
    };
    if let Some(class) = added {
        if !classes.contains(&class) {
            classes.insert(0, class);
        }
    }
    match existing {
        Some((at, value)) => format!(
            "{}{}{}",
            &attrs[..at],
            classes.join(" "),
            &attrs[at + value.len()..]
        ),
        None if !classes.is_empty() => format!(" class=\"{}\"{attrs}", classes.join(" ")),
        None => attrs.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::restyle;

    #[test]
    fn adds_the_dsfr_classes_to_our_markup_only() {
        let html = r#"<div class="container narrow"><form><label for="q">Q</label><input id="q" type="search" name="q"><input type="checkbox" name="c"><button type="submit">Go</button></form><a class="button" href="/x">X</a><a class="chip" href="/y">&lt;button class=&quot;x&quot;&gt;</a><div class="table-wrap" tabindex="0"><table></table></div><br></div>"#;
        assert_eq!(
            restyle(html),
            r#"<div class="fr-container narrow"><form><label class="fr-label" for="q">Q</label><input class="fr-input" id="q" type="search" name="q"><input type="checkbox" name="c"><button class="fr-btn" type="submit">Go</button></form><a class="fr-btn" href="/x">X</a><a class="fr-tag chip" href="/y">&lt;button class=&quot;x&quot;&gt;</a><div class="fr-table table-wrap" tabindex="0"><table></table></div><br></div>"#
        );
    }
}
