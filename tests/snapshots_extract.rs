//! One insta snapshot per fixture article: adding an article means adding a file under
//! `fixtures/` and reviewing its snapshot (`cargo insta review`).

use std::fmt::Write;

use quotetrace::article::Article;
use quotetrace::parse::extract;

fn render(article: &Article) -> String {
    let mut out = String::new();
    let m = &article.meta;
    writeln!(out, "outlet: {:?}  published: {:?}", m.outlet, m.published).unwrap();
    for q in extract(&article.body) {
        let speaker = q.speaker.as_ref().map_or("-".to_string(), |s| {
            format!("{} <{}@{}>", s.name, s.mention.text, s.mention.start)
        });
        let cue = q.cue.as_ref().map_or("-", |c| c.text.as_str());
        writeln!(
            out,
            "\n[{}..{}] {:?}{} | speaker: {speaker} | cue: {cue}",
            q.quote.start,
            q.quote.end,
            q.kind,
            if q.closed { "" } else { " (unclosed)" }
        )
        .unwrap();
        if let Some(c) = &q.channel {
            writeln!(out, "  channel: {}", c.text).unwrap();
        }
        for c in &q.credits {
            writeln!(out, "  credit: {} [{}] ({:?})", c.outlet, c.phrase, c.scope).unwrap();
        }
        writeln!(out, "  “{}”", q.quote.text.replace('\n', "⏎")).unwrap();
    }
    out
}

#[test]
fn fixtures() {
    insta::glob!("../fixtures", "**/*.txt", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let article = Article::from_text(&name, &text).unwrap();
        insta::with_settings!({
            snapshot_path => "../snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(render(&article));
        });
    });
}
