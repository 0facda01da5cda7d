//! Articles as JSON objects, under the field names real crawlers use.

use serde::Deserialize;

use super::{Article, InputError, Meta};

/// The union of the field names of news-please, the AllSides corpus and a plain layout.
/// Unknown fields are ignored; a field of an unexpected type is ignored rather than fatal,
/// because crawlers write `null`, numbers and lists where one expects strings.
#[derive(Deserialize, Default)]
struct Record {
    #[serde(default, deserialize_with = "lenient")]
    text: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    maintext: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    content_original: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    body: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    content: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    outlet: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    source: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    source_domain: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    published: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    date_publish: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    date: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    url: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    title: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    lang: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    language: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    id: Option<String>,
}

fn lenient<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) if !s.is_empty() && s != "None" => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Turns one JSON object into an article. `id` names where it came from (path, or path:line).
pub(super) fn parse(id: String, json: &str) -> Result<Article, InputError> {
    let rec: Record = serde_json::from_str(json).map_err(|e| InputError::Json {
        id: id.clone(),
        message: e.to_string(),
    })?;
    article(id, rec)
}

/// A `.json` file may hold one article object or an array of them.
pub(super) fn parse_document(id: &str, json: &str) -> Vec<Result<Article, InputError>> {
    let trimmed = json.trim_start();
    if trimmed.starts_with('[') {
        match serde_json::from_str::<Vec<Record>>(trimmed) {
            Ok(records) => records
                .into_iter()
                .enumerate()
                .map(|(i, r)| article(format!("{id}#{i}"), r))
                .collect(),
            Err(e) => vec![Err(InputError::Json {
                id: id.to_string(),
                message: e.to_string(),
            })],
        }
    } else {
        vec![parse(id.to_string(), json)]
    }
}

fn article(id: String, r: Record) -> Result<Article, InputError> {
    let Some(body) = r
        .text
        .or(r.maintext)
        .or(r.content_original)
        .or(r.body)
        .or(r.content)
    else {
        return Err(InputError::MissingBody { id });
    };
    let id = match r.id {
        Some(own) => format!("{id}#{own}"),
        None => id,
    };
    Ok(Article {
        id,
        meta: Meta {
            outlet: r.outlet.or(r.source).or(r.source_domain),
            url: r.url,
            published: r.published.or(r.date_publish).or(r.date),
            title: r.title,
            lang: r.lang.or(r.language),
        },
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_news_please_allsides_and_plain_fields() {
        let np = parse(
            "a".into(),
            r#"{"text":"T","source_domain":"cnn.com","date_publish":"2017-09-15 00:00:00","url":"u","title":"t","language":null}"#,
        )
        .unwrap();
        assert_eq!(np.body, "T");
        assert_eq!(np.meta.outlet.as_deref(), Some("cnn.com"));
        assert_eq!(np.meta.published.as_deref(), Some("2017-09-15 00:00:00"));
        assert_eq!(np.meta.lang, None);
        let all = parse(
            "b".into(),
            r#"{"content_original":"C","source":"New York Times - News","date":"2016-09-20","authors":["x"]}"#,
        )
        .unwrap();
        assert_eq!(all.body, "C");
        assert_eq!(all.meta.outlet.as_deref(), Some("New York Times - News"));
        let plain = parse(
            "c".into(),
            r#"{"body":"B","outlet":"AP","published":"2025-11-12"}"#,
        )
        .unwrap();
        assert_eq!(plain.meta.published.as_deref(), Some("2025-11-12"));
    }

    #[test]
    fn malformed_and_bodiless_objects_are_errors() {
        assert!(matches!(
            parse("x".into(), "{\"text\": "),
            Err(InputError::Json { .. })
        ));
        assert!(matches!(
            parse("x".into(), "{\"title\": \"t\"}"),
            Err(InputError::MissingBody { .. })
        ));
    }
}
