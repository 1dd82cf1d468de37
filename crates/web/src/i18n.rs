//! The message catalog: every string the pages show, in Chinese (the default) and English.
//! One `key = text` per line in `i18n/zh-CN.txt` and `i18n/en.txt`; `{0}`, `{1}` are arguments.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn from_cookie(v: Option<&str>) -> Lang {
        match v {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

const ZH: &str = include_str!("../i18n/zh-CN.txt");
const EN: &str = include_str!("../i18n/en.txt");

pub fn parse_catalog(text: &'static str) -> HashMap<&'static str, &'static str> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

fn catalog(lang: Lang) -> &'static HashMap<&'static str, &'static str> {
    static ZH_MAP: OnceLock<HashMap<&str, &str>> = OnceLock::new();
    static EN_MAP: OnceLock<HashMap<&str, &str>> = OnceLock::new();
    match lang {
        Lang::Zh => ZH_MAP.get_or_init(|| parse_catalog(ZH)),
        Lang::En => EN_MAP.get_or_init(|| parse_catalog(EN)),
    }
}

/// The catalog in one language, as templates use it: `t.text("nav.register")`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Catalog {
    pub lang: Lang,
}

impl Catalog {
    pub fn new(lang: Lang) -> Catalog {
        Catalog { lang }
    }

    /// The text for a key; a visible marker when it is missing (a test keeps that from shipping).
    pub fn text(&self, key: &str) -> &'static str {
        match catalog(self.lang).get(key) {
            Some(v) => v,
            None => catalog(Lang::Zh).get(key).copied().unwrap_or("⟨?⟩"),
        }
    }

    /// The text with `{0}`, `{1}`… filled in.
    pub fn fill(&self, key: &str, args: &[&dyn std::fmt::Display]) -> String {
        let mut out = self.text(key).to_string();
        for (i, a) in args.iter().enumerate() {
            out = out.replace(&format!("{{{i}}}"), &a.to_string());
        }
        out
    }

    /// The text with `{0}` filled in: for templates, which cannot build a slice of `dyn`.
    pub fn fill_one(&self, key: &str, arg: impl std::fmt::Display) -> String {
        self.fill(key, &[&arg])
    }

    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }

    /// A code table value in this language: the tables name their values in English by a
    /// key-like word (`first_marriage`); a reader gets words ("First marriage").
    pub fn code(&self, zh: &'static str, en: &'static str) -> &'static str {
        match self.lang {
            Lang::Zh => zh,
            Lang::En => words::english(en),
        }
    }

    /// A word the register stores in Chinese (a code value's name, a field's label) in this
    /// language; a word it does not know is shown as it is.
    pub fn word(&self, zh: &str) -> String {
        match self.lang {
            Lang::Zh => zh.to_string(),
            Lang::En => words::word_en(zh).unwrap_or(zh).to_string(),
        }
    }

    /// A rule's message (core writes them in Chinese) in this language: each part is matched
    /// against the catalog's `msg.*` patterns; a message no pattern knows stays as written.
    pub fn message(&self, zh: &str) -> String {
        match self.lang {
            Lang::Zh => zh.to_string(),
            Lang::En => words::message_en(zh),
        }
    }
}

/// The value of a key in one language, for the word tables.
fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    catalog(lang).get(key).copied()
}

/// The Chinese catalog's entries, for the word tables.
fn zh_entries() -> impl Iterator<Item = (&'static str, &'static str)> {
    catalog(Lang::Zh).iter().map(|(k, v)| (*k, *v))
}

#[path = "i18n_words.rs"]
mod words;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogs_have_the_same_keys() {
        let zh = parse_catalog(ZH);
        let en = parse_catalog(EN);
        let mut missing_en: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
        let mut missing_zh: Vec<_> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
        missing_en.sort();
        missing_zh.sort();
        assert!(missing_en.is_empty(), "no English for {missing_en:?}");
        assert!(missing_zh.is_empty(), "no Chinese for {missing_zh:?}");
    }

    /// Every key a template or handler asks for is in the catalog.
    #[test]
    fn every_key_used_is_in_the_catalog() {
        let zh = parse_catalog(ZH);
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/");
        let mut missing = Vec::new();
        for sub in ["templates", "src", "src/pages", "src/api"] {
            let Ok(entries) = std::fs::read_dir(format!("{dir}{sub}")) else {
                continue;
            };
            for entry in entries.flatten() {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                for marker in ["t.text(\"", "t.fill(\""] {
                    for part in text.split(marker).skip(1) {
                        let key = part.split('"').next().unwrap_or("");
                        if !zh.contains_key(key) {
                            missing.push(format!("{}: {key}", entry.path().display()));
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "keys not in the catalog: {missing:#?}");
    }

    /// Keys built at run time (a role, a column, an error code) are in the catalog too.
    #[test]
    fn every_key_built_from_a_value_is_in_the_catalog() {
        let zh = parse_catalog(ZH);
        let mut keys: Vec<String> = Vec::new();
        keys.extend(
            renkou_core::Role::ALL
                .iter()
                .map(|r| format!("role.{}", r.key())),
        );
        keys.extend(
            renkou_core::record::PERSON_COLUMNS
                .iter()
                .map(|c| format!("field.{}", c.key)),
        );
        keys.extend(
            renkou_core::record::EVENT_COLUMNS
                .iter()
                .filter(|c| c.key != "id_number")
                .map(|c| format!("event_field.{}", c.key)),
        );
        for level in ["district", "centre", "committee", "group"] {
            keys.push(format!("area.level.{level}"));
        }
        for status in [
            renkou_core::PersonStatus::Active,
            renkou_core::PersonStatus::MovedAway,
            renkou_core::PersonStatus::Dead,
        ] {
            keys.push(format!("status.{}", status.key()));
        }
        for result in ["ok", "denied", "failed"] {
            keys.push(format!("audit.result.{result}"));
        }
        for action in renkou_core::audit::AuditAction::ALL {
            keys.push(format!("audit.action.{}", action.key()));
        }
        for kind in crate::pages::audit::OBJECT_KINDS {
            keys.push(format!("audit.kind.{kind}"));
        }
        use crate::error::AppError;
        for e in [
            AppError::Unauthenticated,
            AppError::Forbidden,
            AppError::NotFound,
            AppError::Invalid(Vec::new()),
            AppError::Csrf,
            AppError::Throttled,
            AppError::PasswordChangeRequired,
            AppError::Internal(String::new()),
        ] {
            keys.push(format!("error.{}", e.code()));
        }
        let missing: Vec<&String> = keys
            .iter()
            .filter(|k| !zh.contains_key(k.as_str()))
            .collect();
        assert!(missing.is_empty(), "not in the catalog: {missing:?}");
    }
}
