//! The files made from the option catalogue (`src/cli/catalogue.rs`) are committed: the
//! three shell completions and the packaging tests' option list. This test fails when one
//! differs from what the catalogue makes now; `make generate` (which runs it with
//! `IPVSADM_REGENERATE=1`) writes them again.

use std::path::Path;

use ipvsadm::cli::complete;

#[test]
fn committed_files_are_what_the_catalogue_makes() {
    let files: [(&str, String); 4] = [
        ("completions/ipvsadm.bash", complete::bash()),
        ("completions/_ipvsadm", complete::zsh()),
        ("completions/ipvsadm.fish", complete::fish()),
        ("tests/ship/options.txt", complete::options_txt()),
    ];
    let top = Path::new(env!("CARGO_MANIFEST_DIR"));
    let regenerate = std::env::var_os("IPVSADM_REGENERATE").is_some();
    let mut stale = Vec::new();
    for (name, made) in files {
        let path = top.join(name);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != made {
            if regenerate {
                std::fs::write(&path, made).unwrap_or_else(|e| panic!("{name}: {e}"));
            } else {
                stale.push(name);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "{stale:?} differ from what the catalogue makes: run `make generate`"
    );
}
