//! English for what the register keeps in Chinese: code values by their English names made
//! readable, stored words (a timeline's "未婚 → 初婚") by their code table, and the rules'
//! messages by the catalog's `msg.*` patterns (`发生日期{0}晚于今天` ↔ `The date {0} is after
//! today`).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use renkou_core::{
    ContraceptionMethod, Education, EventKind, MaritalStatus, PersonStatus, PopulationType,
    PregnancyOutcome, Relation, Sex,
};

use super::{Lang, lookup, zh_entries};

/// `first_marriage` → "First marriage": the words of a key, capitalised. Made once per value.
pub fn english(en: &'static str) -> &'static str {
    let shown = readable(en);
    if shown == en {
        return en;
    }
    static MADE: OnceLock<Mutex<HashMap<&'static str, &'static str>>> = OnceLock::new();
    let mut made = MADE
        .get_or_init(Default::default)
        .lock()
        .expect("english names lock");
    // The inputs are the code tables' names, a fixed set: each is made and kept once.
    made.entry(en)
        .or_insert_with(|| Box::leak(shown.into_boxed_str()))
}

fn readable(en: &str) -> String {
    let spaced = en.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

/// Chinese word → English, from the code tables and the catalog's field labels.
fn words() -> &'static HashMap<&'static str, &'static str> {
    static WORDS: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    WORDS.get_or_init(|| {
        let mut map: HashMap<&'static str, &'static str> = HashMap::new();
        for (key, zh) in zh_entries() {
            if (key.starts_with("field.") || key.starts_with("event_field."))
                && let Some(en) = lookup(Lang::En, key)
            {
                map.insert(zh, en);
            }
        }
        macro_rules! table {
            ($($t:ty),+) => {$(
                for v in <$t>::ALL {
                    map.insert(v.name_zh(), english(v.name_en()));
                }
                map.insert(<$t>::LABEL, english(<$t>::LABEL));
            )+};
        }
        table!(
            Sex,
            MaritalStatus,
            PopulationType,
            ContraceptionMethod,
            PregnancyOutcome,
            Relation,
            Education,
            EventKind
        );
        // The labels are Chinese; their English is the catalog's field label.
        for (label, key) in [
            (Sex::LABEL, "field.sex"),
            (MaritalStatus::LABEL, "field.marital_status"),
            (PopulationType::LABEL, "field.population_type"),
            (Relation::LABEL, "field.relation"),
            (Education::LABEL, "field.education"),
            (ContraceptionMethod::LABEL, "event_field.method"),
            (PregnancyOutcome::LABEL, "event_field.outcome"),
        ] {
            if let Some(en) = lookup(Lang::En, key) {
                map.insert(label, en);
            }
        }
        for s in [
            PersonStatus::Active,
            PersonStatus::MovedAway,
            PersonStatus::Dead,
        ] {
            if let Some(en) = lookup(Lang::En, &format!("status.{}", s.key())) {
                map.insert(s.name_zh(), en);
            }
        }
        map
    })
}

pub fn word_en(zh: &str) -> Option<&'static str> {
    words().get(zh.trim()).copied()
}

/// The English names a code table accepts, for "choose from" in a refusal.
fn choices_en(label_zh: &str) -> Option<String> {
    macro_rules! choices {
        ($($t:ty),+) => {$(
            if label_zh == <$t>::LABEL {
                let names: Vec<&str> = <$t>::ALL.iter().map(|v| english(v.name_en())).collect();
                return Some(names.join(", "));
            }
        )+};
    }
    choices!(
        Sex,
        MaritalStatus,
        PopulationType,
        ContraceptionMethod,
        PregnancyOutcome,
        Relation,
        Education
    );
    None
}

/// One `msg.*` pattern: its literal pieces around the arguments, and the English text.
struct Pattern {
    pieces: Vec<&'static str>,
    args: Vec<usize>,
    en: &'static str,
}

fn patterns() -> &'static Vec<Pattern> {
    static PATTERNS: OnceLock<Vec<Pattern>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let mut out: Vec<Pattern> = zh_entries()
            .filter(|(k, _)| k.starts_with("msg."))
            .filter_map(|(k, zh)| {
                let en = lookup(Lang::En, k)?;
                let (pieces, args) = split_pattern(zh);
                Some(Pattern { pieces, args, en })
            })
            .collect();
        // The most specific (most literal text) first.
        out.sort_by_key(|p| std::cmp::Reverse(p.pieces.iter().map(|s| s.len()).sum::<usize>()));
        out
    })
}

/// `发生日期{0}晚于今天` → pieces ["发生日期", "晚于今天"], args [0].
fn split_pattern(zh: &'static str) -> (Vec<&'static str>, Vec<usize>) {
    let mut pieces = Vec::new();
    let mut args = Vec::new();
    let mut rest = zh;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let Ok(n) = after[..close].parse::<usize>() else {
            break;
        };
        pieces.push(&rest[..open]);
        args.push(n);
        rest = &after[close + 1..];
    }
    pieces.push(rest);
    (pieces, args)
}

/// The arguments when `text` has the pattern's shape (each argument as short as it can be).
fn matches<'a>(p: &Pattern, text: &'a str) -> Option<Vec<&'a str>> {
    let mut rest = text.strip_prefix(p.pieces[0])?;
    let mut found = Vec::new();
    for (i, piece) in p.pieces[1..].iter().enumerate() {
        let last = i + 2 == p.pieces.len();
        let end = if last {
            if !rest.ends_with(piece) {
                return None;
            }
            rest.len() - piece.len()
        } else if piece.is_empty() {
            return None;
        } else {
            rest.find(piece)?
        };
        found.push(&rest[..end]);
        rest = &rest[end + piece.len()..];
    }
    (rest.is_empty()).then_some(found)
}

fn one_message(text: &str) -> String {
    for p in patterns() {
        let Some(found) = matches(p, text) else {
            continue;
        };
        let mut out = p.en.to_string();
        for (value, n) in found.iter().zip(&p.args) {
            let shown = word_en(value).unwrap_or(value);
            out = out.replace(&format!("{{{n}}}"), shown);
        }
        // A refused code value lists what may be written: in English, the English names.
        if let (Some(label), true) = (found.get(1), out.contains("{choices}")) {
            out = out.replace("{choices}", &choices_en(label).unwrap_or_default());
        }
        return out;
    }
    text.to_string()
}

/// A message of one or more parts (`；`-joined) in English.
pub fn message_en(zh: &str) -> String {
    zh.split('；')
        .map(|part| one_message(part.trim()))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_values_read_as_words() {
        assert_eq!(english("first_marriage"), "First marriage");
        assert_eq!(english("Han"), "Han");
        assert_eq!(word_en("初婚"), Some("First marriage"));
    }

    #[test]
    fn messages_are_matched_with_their_arguments() {
        assert_eq!(
            message_en("发生日期2030-01-01晚于今天；请填写子女性别"),
            "The date 2030-01-01 is after today; Give the child's sex"
        );
        let refused = message_en("「x」不是有效的婚姻状况，可填写：未婚、已婚（或代码10、20）");
        assert!(
            refused.starts_with("“x” is not a valid Marital status"),
            "{refused}"
        );
        assert!(refused.contains("First marriage"), "{refused}");
        assert_eq!(message_en("没见过的话"), "没见过的话");
    }
}
