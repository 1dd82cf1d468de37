//! The parts every form is made of, so that each kind of record gets its own form with the
//! same behaviour: labelled fields (`templates/fields.html`), required marks, hints, each
//! error beside its field, and on a failed submit an error summary at the top that takes the
//! focus and links to the fields (`templates/form_errors.html`).
//!
//! A handler builds `FormField`s, places the errors a check returned with `place_errors`, and
//! renders its page with `fields` and `summary` (see `person_form.rs`, `event_form.rs`).

use renkou_core::person::FieldError;

use super::persons::Choice;
use crate::i18n::Catalog;

/// How a field is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Text,
    /// A date as 2026-11-28 (text, so that typing 8 digits works on any browser).
    Date,
    Number,
    Tel,
    /// One of `choices`.
    Select,
    /// One area of `choices`, by name, with a filter box (`app.js`).
    Area,
}

impl Input {
    /// For the template.
    pub fn key(self) -> &'static str {
        match self {
            Input::Text => "text",
            Input::Date => "date",
            Input::Number => "number",
            Input::Tel => "tel",
            Input::Select => "select",
            Input::Area => "area",
        }
    }
}

pub struct FormField {
    pub key: &'static str,
    pub label: String,
    pub input: Input,
    pub required: bool,
    pub value: String,
    pub choices: Vec<Choice>,
    pub hint: Option<String>,
    pub placeholder: Option<String>,
    pub error: Option<String>,
    /// Spans the whole row of the form.
    pub wide: bool,
}

impl FormField {
    pub fn new(key: &'static str, label: impl Into<String>, input: Input) -> FormField {
        FormField {
            key,
            label: label.into(),
            input,
            required: false,
            value: String::new(),
            choices: Vec::new(),
            hint: None,
            placeholder: None,
            error: None,
            wide: false,
        }
    }

    pub fn required(mut self, yes: bool) -> FormField {
        self.required = yes;
        self
    }

    pub fn value(mut self, v: impl Into<String>) -> FormField {
        self.value = v.into();
        self
    }

    pub fn choices(mut self, c: Vec<Choice>) -> FormField {
        self.choices = c;
        self
    }

    pub fn hint(mut self, h: impl Into<String>) -> FormField {
        self.hint = Some(h.into());
        self
    }

    pub fn wide(mut self) -> FormField {
        self.wide = true;
        self
    }

    /// What a date field shows when empty: the pattern, never a date that reads as a value.
    pub fn date_placeholder(mut self, t: Catalog) -> FormField {
        self.placeholder = Some(t.text("form.date_placeholder").to_string());
        self
    }

    /// The ids the input is described by: its hint and its error.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if self.hint.is_some() {
            ids.push(format!("h-{}", self.key));
        }
        if self.error.is_some() {
            ids.push(format!("e-{}", self.key));
        }
        ids.join(" ")
    }

    /// For a select: whether this choice is the field's value.
    pub fn is(&self, value: &str) -> bool {
        self.value == value
    }
}

/// One line of the error summary: which field, and why.
pub struct SummaryLine {
    pub key: &'static str,
    pub label: String,
    pub message: String,
}

/// Puts each error beside its field; errors of no field shown go to `stray_to` (the form's
/// first field when None). Returns the summary, one line per error, in the form's order.
pub fn place_errors(
    fields: &mut [FormField],
    errors: &[FieldError],
    stray_to: Option<&str>,
) -> Vec<SummaryLine> {
    for f in fields.iter_mut() {
        let mine: Vec<&str> = errors
            .iter()
            .filter(|e| e.field == f.key)
            .map(|e| e.message.as_str())
            .collect();
        f.error = (!mine.is_empty()).then(|| mine.join("；"));
    }
    let stray: Vec<&str> = errors
        .iter()
        .filter(|e| !fields.iter().any(|f| f.key == e.field))
        .map(|e| e.message.as_str())
        .collect();
    if !stray.is_empty() {
        let target = fields
            .iter()
            .position(|f| Some(f.key) == stray_to)
            .unwrap_or(0);
        if let Some(f) = fields.get_mut(target) {
            let joined = stray.join("；");
            f.error = Some(match f.error.take() {
                Some(e) => format!("{e}；{joined}"),
                None => joined,
            });
        }
    }
    fields
        .iter()
        .filter_map(|f| {
            f.error.as_ref().map(|e| SummaryLine {
                key: f.key,
                label: f.label.clone(),
                message: e.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_is_placed_and_summarised_in_form_order() {
        let mut fields = vec![
            FormField::new("date", "发生日期", Input::Date),
            FormField::new("child_sex", "子女性别", Input::Select),
        ];
        let errors = vec![
            FieldError::new("child_sex", "请填写子女性别"),
            FieldError::new("date", "发生日期2030-01-01晚于今天"),
            FieldError::new("event", "此人已有未结束的孕情"),
        ];
        let summary = place_errors(&mut fields, &errors, Some("date"));
        assert_eq!(
            fields[0].error.as_deref(),
            Some("发生日期2030-01-01晚于今天；此人已有未结束的孕情")
        );
        assert_eq!(fields[1].error.as_deref(), Some("请填写子女性别"));
        let keys: Vec<_> = summary.iter().map(|s| s.key).collect();
        assert_eq!(keys, ["date", "child_sex"]);
        assert_eq!(fields[1].described_by(), "e-child_sex");
    }
}
