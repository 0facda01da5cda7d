use super::*;

fn speaker_of<'a>(quotes: &'a [Quote], needle: &str) -> Option<&'a str> {
    quotes
        .iter()
        .find(|q| q.quote.text.contains(needle))
        .unwrap_or_else(|| panic!("no quote with {needle:?} in {quotes:#?}"))
        .speaker
        .as_ref()
        .map(|s| s.name.as_str())
}

#[test]
fn both_word_orders_and_preceding_clauses() {
    let body = "“We are leaving,” Petro wrote. “We stay,” said Maria Lopez.\n\
                Petro wrote that “the fight must go on.”\n\
                Petro said: “Enough.”\n\
                In a post on X, Petro declared, “It is over.”";
    let q = extract(body);
    assert_eq!(q.len(), 5);
    assert_eq!(speaker_of(&q, "leaving"), Some("Petro"));
    assert_eq!(speaker_of(&q, "We stay"), Some("Maria Lopez"));
    assert_eq!(speaker_of(&q, "fight"), Some("Petro"));
    assert_eq!(speaker_of(&q, "Enough"), Some("Petro"));
    assert_eq!(speaker_of(&q, "over"), Some("Petro"));
    assert_eq!(q[4].channel.as_ref().unwrap().text, "In a post on X");
    let q = extract("“We will act,” Petro wrote on X.");
    assert_eq!(q[0].channel.as_ref().unwrap().text, "on X");
}

#[test]
fn titles_appositives_and_according_to() {
    let body = "“It works,” Treasury Secretary Scott Bessent said in a statement.\n\
                “It fails,” Nick Witney, a fellow at the European Council on Foreign Relations, said.\n\
                The deal is “dead,” according to Senator Rand Paul.";
    let q = extract(body);
    assert_eq!(speaker_of(&q, "works"), Some("Scott Bessent"));
    assert_eq!(q[0].channel.as_ref().unwrap().text, "in a statement");
    assert_eq!(speaker_of(&q, "fails"), Some("Nick Witney"));
    assert_eq!(speaker_of(&q, "dead"), Some("Rand Paul"));
}

#[test]
fn pronouns_roles_and_follow_on() {
    let body = "Colombian President Gustavo Petro spoke on Tuesday.\n\
                “We will not bow,” he said. “Never.”\n\
                “The talks are over,” the president told reporters.";
    let q = extract(body);
    assert_eq!(speaker_of(&q, "bow"), Some("Gustavo Petro"));
    assert_eq!(q[0].speaker.as_ref().unwrap().mention.text, "he");
    assert_eq!(speaker_of(&q, "Never"), Some("Gustavo Petro"));
    assert_eq!(speaker_of(&q, "talks"), Some("Gustavo Petro"));
    assert_eq!(q[2].channel.as_ref().unwrap().text, "told reporters");
}

#[test]
fn kinds() {
    let body = "Petro urged soldiers to “disobey the orders of Trump” and said: “We are free.” \
                The administration says it targets “narcoterrorists.”";
    let q = extract(body);
    assert_eq!(q[0].kind, QuoteKind::Partial);
    assert_eq!(q[1].kind, QuoteKind::Full);
    assert_eq!(q[2].kind, QuoteKind::Term);
}

#[test]
fn odd_marks_never_cost_the_document() {
    let body = "He said “no.\nLater: “yes,” she said.\nPetro’s view: “fine,” Petro said.";
    let q = extract(body);
    assert_eq!(q.len(), 3);
    assert!(!q[0].closed);
    assert_eq!(q[2].quote.text, "fine,");
}

#[test]
fn credits_attach_to_their_quote() {
    let body = "“He may have been carrying fish,” Petro said, as quoted by the Associated Press. \
                “Stop,” he said.";
    let q = extract(body);
    assert_eq!(q[0].credits.len(), 1);
    assert_eq!(q[0].credits[0].outlet, "Associated Press");
    assert!(q[1].credits.is_empty());
}

#[test]
fn coordinated_cue_takes_the_clause_subject() {
    let body = "Earlier that day, Petro had joined protesters condemning Israel’s war on Gaza and urged U.S. soldiers to “disobey the orders of Trump” and instead “obey the orders of humanity.”";
    let q = extract(body);
    assert_eq!(q[0].speaker.as_ref().unwrap().mention.text, "Petro");
    assert_eq!(q[1].speaker.as_ref().unwrap().mention.text, "Petro");
}

#[test]
fn dateline_credit_is_counted_once() {
    let q = extract("BOGOTA (AP) — “We will act,” Petro said.\n");
    assert_eq!(q[0].credits.len(), 1, "{:?}", q[0].credits);
    assert_eq!(q[0].credits[0].scope, CreditScope::Article);
}

#[test]
fn as_put_it_dash_names_and_participle_subjects() {
    let body = "He was seen, as The New Yorker put it in a lengthy expose, “the operator.”\n\
                The requirement is a \"lawful source of investment income,\" as a Homeland Security memo put it.\n\
                “Trump must stop portraying Latinos as gangsters.”― Carla Sanchez.\n\
                Protesters marching through the streets chanted \"What curfew?\" and kept going.";
    let q = extract(body);
    assert_eq!(speaker_of(&q, "operator"), Some("The New Yorker"));
    assert_eq!(
        speaker_of(&q, "lawful source"),
        Some("a Homeland Security memo")
    );
    assert_eq!(speaker_of(&q, "portraying"), Some("Carla Sanchez"));
    assert_eq!(speaker_of(&q, "What curfew"), Some("Protesters"));
}

/// [`has_sentence_end`] by tokenizing the whole text: the rule as first written.
fn sentence_end_by_whole_text(text: &str) -> bool {
    let mut toks = Vec::new();
    token::tokenize(text, 0, text.len(), &mut toks);
    ends_sentence_in(&toks)
}

proptest::proptest! {
    #[test]
    fn windowed_sentence_end_agrees(s in "[a-zA-Z .?!,'’“”—…\u{a0}\u{2003}\n-]{0,40}") {
        proptest::prop_assert_eq!(has_sentence_end(&s), sentence_end_by_whole_text(&s), "{:?}", s);
    }
}

#[test]
fn windowed_sentence_end_examples() {
    for text in [
        "We will act. Then we go",
        "the U.S. Army",
        "Mr. Smith went",
        "no end here.",
        "Stop!” he said",
        "what? no",
        "a.b.c. D",
        "“Yes.” “No.”",
        "wait... And",
        "! \u{a0} A",
        "Go. \u{a0} \u{2003}\u{a0} Now",
        "x. \u{a0}",
    ] {
        assert_eq!(
            has_sentence_end(text),
            sentence_end_by_whole_text(text),
            "{text:?}"
        );
    }
}

proptest::proptest! {
    #[test]
    fn word_count_is_split_whitespace(s in "[a-z .\t\n\r\u{b}\u{c}\u{1f}\u{7f}\u{a0}\u{2003}\u{85}é’—]{0,40}") {
        proptest::prop_assert_eq!(word_count(&s), s.split_whitespace().take(5).count());
    }

    /// Mostly ASCII, so that whole eight-byte steps are taken.
    #[test]
    fn word_count_of_ascii_is_split_whitespace(s in "[a-z  \t\n\r\u{b}\u{c}\u{1f}\u{7f}]{0,40}(é[a-z ]{0,20})?") {
        proptest::prop_assert_eq!(word_count(&s), s.split_whitespace().take(5).count());
    }
}

proptest::proptest! {
    #[test]
    fn sentence_mark_end_is_the_trimmed_test(s in "[a-z0-9 .?!,:;'’”»›\"“)\u{a0}é٣-]{0,12}") {
        let trimmed = s.trim_end_matches(|c: char| !c.is_alphanumeric() && !matches!(c, '.' | '?' | '!'));
        proptest::prop_assert_eq!(ends_with_sentence_mark(&s), trimmed.ends_with(['.', '?', '!']), "{:?}", s);
    }
}
