//! Chains for people: a timeline with a credit tree, and Graphviz.

use std::fmt::Write;

use super::{Chain, CreditKind, FirstStatus, OccurrenceOut, Role};

/// Shortens a wording for one line of output.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

fn outlet(o: &OccurrenceOut) -> &str {
    &o.carrier
}

fn date(o: &OccurrenceOut) -> &str {
    o.published.as_deref().unwrap_or("undated")
}

/// One line: how an occurrence credits the quote.
pub fn credit_line(o: &OccurrenceOut) -> String {
    match o.credit_kind {
        CreditKind::None => "no credit".to_owned(),
        CreditKind::OwnChannel => format!(
            "speaker's own channel ({})",
            o.channel.as_deref().unwrap_or("")
        ),
        CreditKind::Outlet | CreditKind::Wire => {
            let parts: Vec<String> = o
                .credits
                .iter()
                .map(|c| {
                    let kind = if c.kind == CreditKind::Wire {
                        "wire"
                    } else {
                        "outlet"
                    };
                    let chain = match (c.in_store, c.carried, c.carried_earlier) {
                        (false, _, _) => "not in store",
                        (true, false, _) => "in store, did not carry it",
                        (true, true, Some(true)) => "carried it earlier",
                        (true, true, Some(false)) => "carried it later",
                        (true, true, None) => "carried it, order unknown",
                    };
                    format!("{kind} {} \"{}\" [{chain}]", c.outlet, c.phrase)
                })
                .collect();
            format!("credits {}", parts.join("; "))
        }
    }
}

pub fn first_line(c: &Chain) -> String {
    let f = &c.first_carrier;
    match f.status {
        FirstStatus::Unique => format!(
            "{}, {}",
            f.outlets
                .first()
                .map(String::as_str)
                .unwrap_or("(unknown outlet)"),
            f.published.as_deref().unwrap_or("?")
        ),
        FirstStatus::Tie => format!(
            "tie between {} ({}; their order cannot be told)",
            f.outlets.join(", "),
            f.published.as_deref().unwrap_or("?")
        ),
        FirstStatus::Unknown => "unknown: no occurrence has a date".to_owned(),
    }
}

/// A timeline of every occurrence, then the tree of who credited whom.
pub fn tree(c: &Chain) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "cluster {} · {}",
        c.cluster,
        c.speaker.as_deref().unwrap_or("(speaker unknown)")
    );
    let _ = writeln!(s, "  “{}”", c.canonical);
    let _ = writeln!(s, "first carrier: {}", first_line(c));
    if c.undated > 0 {
        let _ = writeln!(s, "undated occurrences: {} (not ranked)", c.undated);
    }
    let _ = writeln!(s, "\ntimeline:");
    for o in &c.occurrences {
        let role = match o.role {
            Role::First => "FIRST",
            Role::TiedFirst => "TIED ",
            Role::Later => "     ",
            Role::Undated => "  ?  ",
        };
        let _ = writeln!(
            s,
            "  [{}] {role} {:<25} {:<20} “{}”\n            {}",
            o.index,
            date(o),
            outlet(o),
            clip(&o.wording, 70),
            credit_line(o)
        );
    }
    let _ = writeln!(s, "\ncredit tree:");
    let roots: Vec<&OccurrenceOut> = c
        .occurrences
        .iter()
        .filter(|o| o.parent.is_none())
        .collect();
    for r in roots {
        write_node(&mut s, c, r, "", true, 0);
    }
    s
}

fn write_node(
    s: &mut String,
    c: &Chain,
    o: &OccurrenceOut,
    indent: &str,
    last: bool,
    depth: usize,
) {
    let branch = if depth == 0 {
        ""
    } else if last {
        "└─ "
    } else {
        "├─ "
    };
    let _ = writeln!(
        s,
        "  {indent}{branch}[{}] {} {}",
        o.index,
        outlet(o),
        date(o)
    );
    let children: Vec<&OccurrenceOut> = c
        .occurrences
        .iter()
        .filter(|x| x.parent == Some(o.index))
        .collect();
    let next = if depth == 0 {
        String::new()
    } else if last {
        format!("{indent}   ")
    } else {
        format!("{indent}│  ")
    };
    // A cycle cannot occur (parents are never later), but depth is bounded anyway.
    if depth > 64 {
        return;
    }
    for (i, ch) in children.iter().enumerate() {
        write_node(s, c, ch, &next, i + 1 == children.len(), depth + 1);
    }
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Graphviz: one node per occurrence, an edge from the credited occurrence to the crediting one.
pub fn dot(c: &Chain) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "digraph cluster_{} {{", c.cluster);
    let _ = writeln!(s, "  rankdir=LR;");
    let _ = writeln!(
        s,
        "  label=\"{}\";",
        dot_escape(&format!(
            "{}: “{}”",
            c.speaker.as_deref().unwrap_or("?"),
            clip(&c.canonical, 80)
        ))
    );
    for o in &c.occurrences {
        let style = match o.role {
            Role::First => ", style=bold, color=darkgreen",
            Role::TiedFirst => ", color=orange",
            Role::Undated => ", style=dashed",
            Role::Later => "",
        };
        let _ = writeln!(
            s,
            "  o{} [shape=box, label=\"{}\\n{}\\n{}\"{style}];",
            o.index,
            dot_escape(outlet(o)),
            dot_escape(date(o)),
            dot_escape(&clip(&o.wording, 40))
        );
    }
    for o in &c.occurrences {
        if let Some(p) = o.parent {
            let phrase = o
                .credits
                .iter()
                .find(|c| c.source == Some(p))
                .map(|c| c.phrase.as_str());
            let _ = writeln!(
                s,
                "  o{p} -> o{} [label=\"{}\"];",
                o.index,
                dot_escape(phrase.unwrap_or(""))
            );
        }
    }
    s.push_str("}\n");
    s
}
