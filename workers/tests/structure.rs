//! The shape of the code, checked so that it stays true: no file of any crate imports, directly
//! or through others, a file that imports it back; `config` is a leaf; the Xero client never
//! imports the sync engine; engine and simulator never depend on each other; source files stay
//! within [`MAX_FILE_LINES`] and functions within [`MAX_FN_LINES`], test files within
//! [`MAX_TEST_FILE_LINES`].
//!
//! Imports are read from the source text: every `crate::…`, `super::…` and `self::…` path (in
//! `use` trees and inline), resolved to the file of the longest module prefix it names. A
//! module file's `pub use` of a child counts as an edge, so a child that imports a name through
//! its parent's re-export (`super::Engine`) closes a loop; import it from the file it lives in.

#![allow(clippy::unwrap_used)]

#[path = "structure/scan.rs"]
mod scan;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use scan::{Crate, functions, strip};

/// Longest source file, in lines.
const MAX_FILE_LINES: usize = 400;
/// Longest function, in lines (signature to closing brace).
const MAX_FN_LINES: usize = 60;
/// Longest test file, in lines.
const MAX_TEST_FILE_LINES: usize = 800;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The workspace's library crates: (name, source folder).
fn crates() -> Vec<Crate> {
    [
        ("xero_sync", "src"),
        ("xero_sync_sim", "sim/src"),
        ("xero_sync_workers", "workers/src"),
    ]
    .into_iter()
    .map(|(name, dir)| Crate::read(name, &root().join(dir)))
    .collect()
}

#[test]
fn no_file_imports_a_file_that_imports_it_back() {
    let mut loops = Vec::new();
    for krate in crates() {
        for cycle in krate.cycles() {
            loops.push(format!("{}: {}", krate.name, cycle.join(" → ")));
        }
    }
    assert!(loops.is_empty(), "import loops:\n{}", loops.join("\n"));
}

#[test]
fn config_is_a_leaf_and_the_xero_client_never_imports_the_sync_engine() {
    let engine = Crate::read("xero_sync", &root().join("src"));
    let mut wrong = Vec::new();
    for (from, to) in engine.edges() {
        let within =
            |name: &str, module: &str| module == name || module.starts_with(&format!("{name}/"));
        // The configuration's files read each other, nothing else of the engine.
        let leaf = within("config", &from) && !within("config", &to);
        let xero_to_sync = within("xero", &from) && within("sync", &to);
        if leaf || xero_to_sync {
            wrong.push(format!("{from} imports {to}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_engine_and_the_simulator_do_not_depend_on_each_other() {
    let manifest =
        |dir: &str| std::fs::read_to_string(root().join(dir).join("Cargo.toml")).unwrap();
    let engine = manifest(".");
    let sim = manifest("sim");
    let package = |text: &str| text.split("[package]").nth(1).unwrap().to_owned();
    assert!(
        !package(&engine).contains("xero-sync-sim"),
        "the engine's Cargo.toml names the simulator"
    );
    assert!(
        !package(&sim)
            .lines()
            .any(|l| l.trim_start().starts_with("xero-sync ")
                || l.trim_start().starts_with("xero-sync.")
                || l.trim_start().starts_with("xero-sync=")),
        "the simulator's Cargo.toml names the engine"
    );
    for krate in crates() {
        let other = match krate.name {
            "xero_sync" => "xero_sync_sim",
            "xero_sync_sim" => "xero_sync::",
            _ => continue,
        };
        for file in &krate.files {
            assert!(
                !file.code.contains(other),
                "{} of {} names {other}",
                file.path.display(),
                krate.name
            );
        }
    }
}

/// Every `.rs` file below `dir`, with its line count.
fn rust_files(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((path.clone(), std::fs::read_to_string(&path).unwrap()));
        }
    }
}

#[test]
fn source_files_and_functions_are_a_size_a_reader_can_hold() {
    let mut long = BTreeMap::new();
    for dir in ["src", "sim/src", "workers/src"] {
        let mut files = Vec::new();
        rust_files(&root().join(dir), &mut files);
        for (path, text) in files {
            let name = path
                .strip_prefix(root())
                .unwrap_or(&path)
                .display()
                .to_string();
            let lines = text.lines().count();
            if lines > MAX_FILE_LINES {
                long.insert(name.clone(), format!("{lines} lines (file)"));
            }
            for (function, length) in functions(&strip(&text)) {
                if length > MAX_FN_LINES {
                    long.insert(format!("{name}::{function}"), format!("{length} lines"));
                }
            }
        }
    }
    let report: Vec<String> = long.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    assert!(
        report.is_empty(),
        "over {MAX_FILE_LINES} lines a file or {MAX_FN_LINES} a function:\n{}",
        report.join("\n")
    );
}

#[test]
fn test_files_are_a_size_a_reader_can_hold() {
    let mut long = BTreeSet::new();
    for dir in [
        "tests",
        "sim/tests",
        "workers/tests",
        "benches",
        "sim/benches",
        "workers/benches",
    ] {
        let mut files = Vec::new();
        rust_files(&root().join(dir), &mut files);
        for (path, text) in files {
            let lines = text.lines().count();
            if lines > MAX_TEST_FILE_LINES {
                let name = path
                    .strip_prefix(root())
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                long.insert(format!("{name}: {lines} lines"));
            }
        }
    }
    assert!(long.is_empty(), "{long:#?}");
}

#[test]
fn the_scanner_sees_through_strings_and_comments_and_finds_loops() {
    let code = strip("let s = \"crate::a // x\"; // crate::b\n/* crate::c */ let r = r#\"{\"#;");
    assert!(!code.contains("crate::"), "{code}");
    assert_eq!(code.lines().count(), 2);
    let fns = functions(&strip(
        "fn a() {\n  let x = '{';\n}\nfn b();\nfn c() -> u8 { 1 }\n",
    ));
    assert_eq!(fns, vec![("a".to_owned(), 3), ("c".to_owned(), 1)]);
    let dir = std::env::temp_dir().join(format!("structure-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("m")).unwrap();
    std::fs::write(dir.join("lib.rs"), "mod m;\nmod n;\nmod p;\n").unwrap();
    std::fs::write(dir.join("m/mod.rs"), "mod k;\npub use k::K;\n").unwrap();
    std::fs::write(
        dir.join("m/k.rs"),
        "use super::K as _; use crate::n::{self, N};\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("n.rs"),
        "pub struct N; fn f() { crate::m::k::K; }\n",
    )
    .unwrap();
    // A parent calling into its child inline and the child naming the parent: a loop too.
    std::fs::create_dir_all(dir.join("p")).unwrap();
    let parent = "mod q;\nfn f() { q::g(); std::mem::drop(1); }\n";
    std::fs::write(dir.join("p/mod.rs"), parent).unwrap();
    std::fs::write(dir.join("p/q.rs"), "pub fn g() { super::f(); }\n").unwrap();
    let krate = Crate::read("t", &dir);
    let cycles = krate.cycles();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(cycles, vec![vec!["m", "m/k", "n"], vec!["p", "p/q"]]);
}
