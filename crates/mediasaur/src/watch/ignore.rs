//! Which files a watch leaves alone: temporary and system files by default, plus the watch's own
//! globs, matched against the path relative to the watched folder and against each of its parts.

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use mediasaur_api::ErrorCode;

use crate::error::{ClientError, ClientResult};

/// Patterns every watch ignores: downloads and copies in progress, editors' lock and swap files,
/// the OS's folder metadata, and dotfiles — which also covers everything under a dot-directory,
/// such as the `.uploaded/` folder finished files are moved to.
pub const DEFAULT_IGNORE: &[&str] = &[
    "*.tmp",
    "*.part",
    "*.partial",
    "*.crdownload",
    "*.download",
    "*.crswap",
    "*.swp",
    "~$*",
    ".DS_Store",
    "Thumbs.db",
    "desktop.ini",
    ".*",
];

/// Why a path is ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreMatch {
    /// The pattern that matched, as written.
    pub pattern: String,
    /// The match is on a folder the path is in rather than on the file itself: the whole folder is
    /// left alone, and its files need no report of their own.
    pub in_ignored_folder: bool,
}

/// The default patterns plus a watch's own, compiled once.
#[derive(Debug, Clone)]
pub struct IgnoreRules {
    patterns: Vec<String>,
    set: GlobSet,
}

impl IgnoreRules {
    /// Compiles the defaults plus `extra`. An invalid glob is an `invalid_request` naming it.
    pub fn new(extra: &[String]) -> ClientResult<Self> {
        let patterns: Vec<String> = DEFAULT_IGNORE
            .iter()
            .map(|p| (*p).to_owned())
            .chain(extra.iter().cloned())
            .collect();
        let mut builder = GlobSetBuilder::new();
        for pattern in &patterns {
            builder.add(compile(pattern)?);
        }
        let set = builder.build().map_err(|e| {
            ClientError::invalid(
                ErrorCode::InvalidRequest,
                format!("bad ignore patterns: {e}"),
            )
        })?;
        Ok(Self { patterns, set })
    }

    /// The first pattern (defaults first, then the watch's own in order) matching `relative`, a
    /// `/`-separated path relative to the watched folder. It is tried whole, then part by part, so
    /// `*.part` catches `a/b.part` and `.*` catches `.git/config`; a folder part that matches
    /// ignores everything in it.
    pub fn matched(&self, relative: &str) -> Option<IgnoreMatch> {
        let parts: Vec<&str> = relative.split('/').collect();
        let (file, folders) = parts.split_last()?;
        let found = |index: usize, in_ignored_folder: bool| IgnoreMatch {
            pattern: self.patterns[index].clone(),
            in_ignored_folder,
        };
        // The outermost ignored folder wins: nothing in it is looked at.
        if let Some(index) = folders.iter().find_map(|folder| self.first_match(folder)) {
            return Some(found(index, true));
        }
        let on_name = self.first_match(file);
        let on_path = self.first_match(relative);
        on_name
            .into_iter()
            .chain(on_path)
            .min()
            .map(|index| found(index, false))
    }

    fn first_match(&self, candidate: &str) -> Option<usize> {
        self.set.matches(candidate).into_iter().min()
    }
}

/// One pattern: case-insensitive (desktop file systems mostly are), and `*` stays within one path
/// part so `*.tmp` does not swallow folders.
fn compile(pattern: &str) -> ClientResult<Glob> {
    GlobBuilder::new(pattern)
        .case_insensitive(true)
        .literal_separator(true)
        .build()
        .map_err(|e| {
            ClientError::invalid(
                ErrorCode::InvalidRequest,
                format!("the ignore pattern {pattern:?} is not a valid glob: {e}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(extra: &[&str]) -> IgnoreRules {
        let extra: Vec<String> = extra.iter().map(|p| (*p).to_owned()).collect();
        IgnoreRules::new(&extra).unwrap()
    }

    fn pattern(rules: &IgnoreRules, relative: &str) -> Option<String> {
        rules.matched(relative).map(|m| m.pattern)
    }

    #[test]
    fn temporary_and_system_files_are_ignored_by_default() {
        let rules = rules(&[]);
        for (path, expected) in [
            ("movie.mp4.part", "*.part"),
            ("a/b/setup.exe.crdownload", "*.crdownload"),
            ("scratch.TMP", "*.tmp"),
            ("~$report.docx", "~$*"),
            ("sub/.DS_Store", ".DS_Store"),
            ("Thumbs.db", "Thumbs.db"),
            (".hidden", ".*"),
        ] {
            assert_eq!(pattern(&rules, path).as_deref(), Some(expected), "{path}");
        }
        for path in [
            "photo.jpg",
            "a/b/c.png",
            "tmp/file.txt",
            "part",
            "x.partition",
        ] {
            assert_eq!(pattern(&rules, path), None, "{path}");
        }
    }

    #[test]
    fn anything_under_a_dot_folder_is_ignored_as_a_folder() {
        let rules = rules(&[]);
        let found = rules.matched(".uploaded/2026/photo.jpg").unwrap();
        assert_eq!(found.pattern, ".*");
        assert!(found.in_ignored_folder);
        let found = rules.matched("a/.git/objects/x").unwrap();
        assert!(found.in_ignored_folder);
        let file = rules.matched("a/.env").unwrap();
        assert!(!file.in_ignored_folder);
    }

    #[test]
    fn a_watch_adds_patterns_on_names_and_on_relative_paths() {
        let rules = rules(&["*.raw", "drafts/**", "exact.txt"]);
        assert_eq!(pattern(&rules, "a/b/IMG.RAW").as_deref(), Some("*.raw"));
        assert_eq!(
            pattern(&rules, "drafts/x/y.jpg").as_deref(),
            Some("drafts/**")
        );
        assert_eq!(
            pattern(&rules, "deep/exact.txt").as_deref(),
            Some("exact.txt")
        );
        assert_eq!(pattern(&rules, "other/drafts.jpg"), None);
        // `*` does not cross folders: `*.raw` on the whole path would otherwise match this too.
        assert_eq!(pattern(&rules, "x.raw/photo.jpg").as_deref(), Some("*.raw"));
        assert!(rules.matched("x.raw/photo.jpg").unwrap().in_ignored_folder);
    }

    #[test]
    fn the_first_pattern_in_order_is_reported() {
        let rules = rules(&["a.*"]);
        // Defaults come first: `a.tmp` is reported under the default although `a.*` matches too.
        assert_eq!(pattern(&rules, "a.tmp").as_deref(), Some("*.tmp"));
        assert_eq!(pattern(&rules, "a.jpg").as_deref(), Some("a.*"));
    }

    #[test]
    fn invalid_globs_are_refused_by_name() {
        let err = IgnoreRules::new(&["ok/*".into(), "[oops".into()]).unwrap_err();
        assert_eq!(err.code(), "invalid_request");
        assert!(err.to_string().contains("[oops"), "{err}");
    }
}
