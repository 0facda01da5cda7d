//! The cross-language stage loads the model only when some pair of units can be compared:
//! a lone Spanish quote whose only name-sharing English clusters are by another speaker has
//! nothing to be compared with, so a missing model is never even looked for.

use assert_cmd::Command;
use predicates::prelude::*;

fn cluster(input: &str) -> assert_cmd::assert::Assert {
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("quotetrace")
        .unwrap()
        .env("QUOTETRACE_MODEL", dir.path().join("absent.bin"))
        .arg("cluster")
        .write_stdin(input.to_string())
        .assert()
}

const SPANISH: &str = r#"{"id":1,"text":"Soy Rob Portman, candidato para el Senado de los Estados Unidos.","speaker":"Romney"}"#;

#[test]
fn no_compatible_candidate_means_no_model() {
    let input = format!(
        "{SPANISH}\n{}\n",
        r#"{"id":2,"text":"The thing I like about the Portman proposal is that it is a two-pillar proposal.","speaker":"Rob Portman"}"#
    );
    cluster(&input)
        .success()
        .stderr(predicate::str::contains(
            "cross-language matching embedded 0 wordings",
        ))
        .stderr(predicate::str::contains("is off").not());
}

#[test]
fn a_compatible_candidate_needs_the_model() {
    let input = format!(
        "{SPANISH}\n{}\n",
        r#"{"id":2,"text":"I am Rob Portman, and I am running for the United States Senate.","speaker":"Mitt Romney"}"#
    );
    cluster(&input)
        .success()
        .stderr(predicate::str::contains("cross-language matching is off").count(1));
}
