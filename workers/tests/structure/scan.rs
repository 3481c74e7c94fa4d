//! A small reader of Rust source for the structure checks: comments and literals blanked out,
//! functions and their lengths, and the file-to-file imports of a crate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One source file of a crate.
pub struct File {
    /// Where it is.
    pub path: PathBuf,
    /// Its module path (`["sync", "batch"]`; the crate root is `[]`).
    pub module: Vec<String>,
    /// Its text with comments and literals blanked out.
    pub code: String,
}

/// A library crate's files.
pub struct Crate {
    /// The crate's name.
    pub name: &'static str,
    /// Its files.
    pub files: Vec<File>,
}

/// The text with every comment and string or character literal replaced by spaces; line breaks
/// stay where they were.
pub fn strip(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, ch: char| out.push(if ch == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < c.len() {
        let next = c.get(i + 1).copied();
        if c[i] == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_at(&c, i) {
            // r"…", r#"…"#, br"…": ends at a quote followed by as many hashes.
            i += c[i..].iter().position(|&ch| ch == '"').unwrap_or(0) + 1;
            let close: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            while i < c.len() && !c[i..].starts_with(&close) {
                blank(&mut out, c[i]);
                i += 1;
            }
            i += close.len();
            out.push_str("\"\"");
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    blank(&mut out, c[i]);
                    i += 1;
                }
                if i < c.len() {
                    blank(&mut out, c[i]);
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c[i] == '\'' && (next == Some('\\') || c.get(i + 2) == Some(&'\'')) {
            // A character literal ('x', '\n', '\u{1F600}'); a lifetime ('a) has no closing quote.
            i += 2;
            while i < c.len() && c[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// The number of hashes of a raw string starting at `i`, if one does.
fn raw_string_at(c: &[char], i: usize) -> Option<usize> {
    let ident_before = i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_');
    if ident_before {
        return None;
    }
    let start = if c[i] == 'b' { i + 1 } else { i };
    if c.get(start) != Some(&'r') {
        return None;
    }
    let hashes = c[start + 1..].iter().take_while(|&&ch| ch == '#').count();
    (c.get(start + 1 + hashes) == Some(&'"')).then_some(hashes)
}

fn is_ident(ch: char) -> bool {
    ch.is_alphanumeric() || ch == '_'
}

/// Every function with a body in stripped code: its name and its length in lines.
pub fn functions(code: &str) -> Vec<(String, usize)> {
    let c: Vec<char> = code.chars().collect();
    let line_at = |i: usize| c[..i].iter().filter(|&&ch| ch == '\n').count();
    let mut found = Vec::new();
    let mut i = 0;
    while i + 2 < c.len() {
        let word_start = (i == 0 || !is_ident(c[i - 1])) && c[i] == 'f' && c[i + 1] == 'n';
        if !(word_start && c[i + 2].is_whitespace()) {
            i += 1;
            continue;
        }
        let mut j = i + 2;
        while j < c.len() && c[j].is_whitespace() {
            j += 1;
        }
        let name: String = c[j..].iter().take_while(|&&ch| is_ident(ch)).collect();
        if name.is_empty() {
            i += 2;
            continue;
        }
        // The body opens at the first brace outside parentheses; a `;` first means none.
        let mut depth = 0i32;
        let mut k = j + name.len();
        while k < c.len() && !(depth == 0 && (c[k] == '{' || c[k] == ';')) {
            match c[k] {
                '(' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                _ => {}
            }
            k += 1;
        }
        if k < c.len() && c[k] == '{' {
            let end = matching_brace(&c, k);
            found.push((name, line_at(end) - line_at(i) + 1));
        }
        i = j;
    }
    found
}

/// The index of the brace closing the one at `open`.
fn matching_brace(c: &[char], open: usize) -> usize {
    let mut depth = 0;
    for (k, &ch) in c.iter().enumerate().skip(open) {
        match ch {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    c.len() - 1
}

impl Crate {
    /// Reads every `.rs` file below `dir` (a library's `src`); a binary's `main.rs` is its own
    /// crate and is left out.
    pub fn read(name: &'static str, dir: &Path) -> Crate {
        let mut paths = Vec::new();
        super::rust_files(dir, &mut paths);
        let files = paths
            .into_iter()
            .filter(|(path, _)| path.parent() != Some(dir) || !path.ends_with("main.rs"))
            .map(|(path, text)| {
                let rel = path.strip_prefix(dir).unwrap();
                let mut module: Vec<String> = rel
                    .iter()
                    .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
                    .collect();
                if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                    module.pop();
                }
                File {
                    path: path.clone(),
                    module,
                    code: strip(&text),
                }
            })
            .collect();
        Crate { name, files }
    }

    /// A file's label: its module path (`sync/batch`), `lib` for the root.
    fn label(module: &[String]) -> String {
        if module.is_empty() {
            "lib".to_owned()
        } else {
            module.join("/")
        }
    }

    /// The file a path names: the longest module prefix that is a file.
    fn resolve(&self, path: &[String]) -> Option<String> {
        let modules: BTreeSet<&[String]> = self.files.iter().map(|f| f.module.as_slice()).collect();
        (0..=path.len())
            .rev()
            .find(|&n| modules.contains(&path[..n]))
            .map(|n| Self::label(&path[..n]))
    }

    /// Every import between two different files: (importer, imported).
    pub fn edges(&self) -> BTreeSet<(String, String)> {
        let modules: BTreeSet<Vec<String>> = self.files.iter().map(|f| f.module.clone()).collect();
        let mut edges = BTreeSet::new();
        for file in &self.files {
            let from = Self::label(&file.module);
            for (at, path) in paths(&file.code) {
                let here = inline_module(&file.code, at, &file.module);
                let Some(absolute) = absolute(&path, &here, &modules) else {
                    continue;
                };
                if let Some(to) = self.resolve(&absolute)
                    && to != from
                {
                    edges.insert((from.clone(), to));
                }
            }
        }
        edges
    }

    /// The import loops: each set of files that reach each other, as a sorted list.
    pub fn cycles(&self) -> Vec<Vec<String>> {
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in self.edges() {
            graph.entry(from).or_default().insert(to);
        }
        let reach = |start: &String| {
            let mut seen = BTreeSet::new();
            let mut todo = vec![start.clone()];
            while let Some(node) = todo.pop() {
                for next in graph.get(&node).into_iter().flatten() {
                    if seen.insert(next.clone()) {
                        todo.push(next.clone());
                    }
                }
            }
            seen
        };
        let reached: BTreeMap<String, BTreeSet<String>> =
            graph.keys().map(|k| (k.clone(), reach(k))).collect();
        let mut loops = BTreeSet::new();
        for (node, from_node) in &reached {
            let mut members: Vec<String> = from_node
                .iter()
                .filter(|other| reached.get(*other).is_some_and(|r| r.contains(node)))
                .cloned()
                .collect();
            if !members.is_empty() {
                members.sort();
                loops.insert(members);
            }
        }
        loops.into_iter().collect()
    }
}

/// The module a position of a file is in: the file's, plus the inline `mod name {` blocks
/// open there.
fn inline_module(code: &str, at: usize, file: &[String]) -> Vec<String> {
    let mut module = file.to_vec();
    let mut open: Vec<(usize, bool)> = Vec::new();
    let bytes = code.as_bytes();
    let mut pending: Option<String> = None;
    let mut i = 0;
    while i < at.min(bytes.len()) {
        if !code.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let rest = &code[i..];
        let word_start = i == 0 || !is_ident(bytes[i - 1] as char);
        if word_start && rest.starts_with("mod ") {
            let name: String = rest[4..]
                .trim_start()
                .chars()
                .take_while(|&c| is_ident(c))
                .collect();
            pending = Some(name);
        }
        match bytes[i] {
            b'{' => {
                let inline = pending.take();
                if let Some(name) = &inline {
                    module.push(name.clone());
                }
                open.push((i, inline.is_some()));
            }
            b'}' => {
                if let Some((_, true)) = open.pop() {
                    module.pop();
                }
            }
            b';' => pending = None,
            _ => {}
        }
        i += 1;
    }
    module
}

/// A path from `crate`, `super`, `self` or a child module, made absolute; `None` for a path
/// into another crate.
fn absolute(
    path: &[String],
    here: &[String],
    modules: &BTreeSet<Vec<String>>,
) -> Option<Vec<String>> {
    let mut base = here.to_vec();
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &path[1..];
        }
        Some("self") => rest = &path[1..],
        Some("super") => {
            while rest.first().map(String::as_str) == Some("super") {
                base.pop();
                rest = &rest[1..];
            }
        }
        Some(first) => {
            let mut child = here.to_vec();
            child.push(first.to_owned());
            if !modules.contains(&child) {
                return None;
            }
        }
        None => return None,
    }
    base.extend(rest.iter().filter(|s| *s != "self").cloned());
    Some(base)
}

/// Every path in stripped code with its position: each leaf of every `use` tree, and every
/// inline path of two segments or more.
fn paths(code: &str) -> Vec<(usize, Vec<String>)> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !code.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let word_start = i == 0 || !is_ident(bytes[i - 1] as char);
        let rest = &code[i..];
        if word_start && rest.starts_with("use ") {
            let end = rest.find(';').unwrap_or(rest.len());
            let tokens = tokens(&rest[4..end]);
            let mut at = 0;
            for path in tree(&tokens, &mut at, Vec::new()) {
                found.push((i, path));
            }
            i += end;
            continue;
        }
        // Any path `a::b…` not itself the tail of a longer one: `crate::`, `super::` and
        // `self::` paths, and paths into a child module (`items::change(…)` in a folder's
        // `mod.rs`); paths into other crates are dropped when made absolute.
        let after_colons = code[..i].trim_end().ends_with("::");
        let first: String = rest.chars().take_while(|&c| is_ident(c)).collect();
        let is_path = !first.is_empty() && rest[first.len()..].starts_with("::");
        if word_start && !after_colons && is_path {
            let path: String = rest
                .chars()
                .take_while(|&c| is_ident(c) || c == ':')
                .collect();
            let segments: Vec<String> = path
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            found.push((i, segments));
            i += path.len();
            continue;
        }
        i += 1;
    }
    found
}

fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for ch in text.chars() {
        if is_ident(ch) {
            word.push(ch);
            continue;
        }
        if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        if matches!(ch, '{' | '}' | ',' | '*') {
            out.push(ch.to_string());
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The leaves of a `use` tree (`a::{b, c::{d as e, *}}`), each as its full path.
fn tree(tokens: &[String], at: &mut usize, prefix: Vec<String>) -> Vec<Vec<String>> {
    let mut leaves = Vec::new();
    let mut path = prefix.clone();
    while *at < tokens.len() {
        let token = tokens[*at].as_str();
        *at += 1;
        match token {
            "{" => {
                leaves.extend(tree(tokens, at, path.clone()));
                path = prefix.clone();
            }
            "}" => break,
            "," => {
                if path.len() > prefix.len() {
                    leaves.push(std::mem::replace(&mut path, prefix.clone()));
                }
            }
            "as" => *at += 1,
            "*" => {}
            segment => path.push(segment.to_owned()),
        }
    }
    if path.len() > prefix.len() {
        leaves.push(path);
    }
    leaves
}
