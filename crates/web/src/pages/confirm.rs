//! One confirmation before what cannot be undone (issuing, revoking or reissuing a document, a
//! move out of the city, a death): a form posted without `confirmed=1` answers with this page,
//! which shows what will change and posts the same fields again with `confirmed=1`. It works
//! without JavaScript, and an API client is never asked.

use askama::Template;
use axum::response::Response;

use super::{Chrome, render};

/// A line of what will change: the field, its value now and after.
pub struct Change {
    pub label: String,
    pub before: String,
    pub after: String,
}

#[derive(Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub chrome: Chrome,
    pub title: String,
    pub intro: String,
    pub action: String,
    pub changes: Vec<Change>,
    pub hidden: Vec<(String, String)>,
    pub confirm_label: String,
    pub back: String,
    /// Styles the confirm button as a weighty one (revoking, a death).
    pub danger: bool,
}

impl ConfirmPage {
    pub fn new(
        chrome: Chrome,
        title: impl Into<String>,
        intro: impl Into<String>,
        action: impl Into<String>,
    ) -> ConfirmPage {
        let confirm_label = chrome.t.text("confirm.yes").to_string();
        ConfirmPage {
            chrome,
            title: title.into(),
            intro: intro.into(),
            action: action.into(),
            changes: Vec::new(),
            hidden: Vec::new(),
            confirm_label,
            back: "/".to_string(),
            danger: false,
        }
    }

    pub fn change(
        mut self,
        label: impl Into<String>,
        before: impl Into<String>,
        after: impl Into<String>,
    ) -> ConfirmPage {
        self.changes.push(Change {
            label: label.into(),
            before: before.into(),
            after: after.into(),
        });
        self
    }

    /// The fields to post again (the form's own, csrf included; `confirmed` is added here).
    pub fn hidden<'a>(
        mut self,
        fields: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) -> ConfirmPage {
        self.hidden = fields
            .into_iter()
            .filter(|(k, _)| k.as_str() != "confirmed")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        self
    }

    pub fn confirm_label(mut self, text: impl Into<String>) -> ConfirmPage {
        self.confirm_label = text.into();
        self
    }

    pub fn back(mut self, href: impl Into<String>) -> ConfirmPage {
        self.back = href.into();
        self
    }

    pub fn danger(mut self) -> ConfirmPage {
        self.danger = true;
        self
    }

    pub fn render(self) -> Response {
        render(self)
    }
}

/// Whether a posted form was confirmed on this page.
pub fn confirmed(fields: &std::collections::BTreeMap<String, String>) -> bool {
    fields.get("confirmed").map(String::as_str) == Some("1")
}
