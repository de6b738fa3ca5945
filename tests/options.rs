//! The option list that completions and the manual are checked against
//! (`tests/ship/options.txt`, used by `tests/ship/check.sh`) must be exactly the parser's
//! own catalogue, so neither can drift from the parser unnoticed.

use std::collections::BTreeSet;

#[test]
fn ship_option_list_is_the_parsers_catalogue() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ship/options.txt");
    let listed: BTreeSet<String> = std::fs::read_to_string(path)
        .expect("tests/ship/options.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    let parser: BTreeSet<String> = ipvsadm::cli::option_spellings().into_iter().collect();
    let missing: Vec<_> = parser.difference(&listed).collect();
    let extra: Vec<_> = listed.difference(&parser).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "options.txt differs from the parser: missing {missing:?}, not in the parser {extra:?}"
    );
}
