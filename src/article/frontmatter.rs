//! The optional `---` header of a plain-text article.
//!
//! Grammar (see `grammar/article.md`):
//! ```text
//! article      = [ front-matter ] body
//! front-matter = "---" EOL *( field EOL ) "---" EOL
//! field        = key ":" SP value        ; key in outlet | url | published | title | lang
//! ```

use super::Meta;

/// Splits `text` into its header and body. A text that does not open with `---` has no header.
pub(super) fn split(text: &str) -> Result<(Meta, &str), String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return Ok((Meta::default(), text));
    };
    let mut meta = Meta::default();
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        offset += line.len();
        let field = line.trim_end_matches(['\n', '\r']);
        if field == "---" {
            return Ok((meta, &rest[offset..]));
        }
        if field.trim().is_empty() || field.starts_with('#') {
            continue;
        }
        let Some((key, value)) = field.split_once(':') else {
            return Err(format!("line `{field}` is not `key: value`"));
        };
        let value = unquote(value.trim());
        let value = (!value.is_empty()).then(|| value.to_string());
        match key.trim() {
            "outlet" => meta.outlet = value,
            "url" => meta.url = value,
            "published" => {
                if let Some(v) = &value {
                    check_date(v)?;
                }
                meta.published = value;
            }
            "title" => meta.title = value,
            "lang" => meta.lang = value,
            // Unknown keys are kept out of Meta but are not an error: other tools write them too.
            _ => {}
        }
    }
    Err("no closing `---` line".to_string())
}

fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

/// `published` must be an RFC 3339 date or date-time, so that provenance can order articles.
fn check_date(v: &str) -> Result<(), String> {
    if v.parse::<jiff::Timestamp>().is_ok() || v.parse::<jiff::civil::Date>().is_ok() {
        Ok(())
    } else {
        Err(format!(
            "published `{v}` is not an RFC 3339 date (2025-11-12) or date-time (2025-11-12T10:00:00Z)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_split_off_and_body_offsets_start_after_it() {
        let (meta, body) = split("---\noutlet: AP\npublished: 2025-11-12\n---\nBody.\n").unwrap();
        assert_eq!(meta.outlet.as_deref(), Some("AP"));
        assert_eq!(meta.published.as_deref(), Some("2025-11-12"));
        assert_eq!(body, "Body.\n");
    }

    #[test]
    fn no_header_means_whole_text_is_body() {
        let (meta, body) = split("Just text --- here").unwrap();
        assert_eq!(meta, Meta::default());
        assert_eq!(body, "Just text --- here");
    }

    #[test]
    fn bad_date_and_unclosed_header_are_errors() {
        assert!(split("---\npublished: last week\n---\n").is_err());
        assert!(split("---\noutlet: AP\n").is_err());
        assert!(split("---\npublished: 2025-11-12T10:00:00-05:00\n---\n").is_ok());
    }
}
