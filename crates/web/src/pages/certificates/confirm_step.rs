//! Issuing, revoking and reissuing a document, and withdrawing an application, cannot be undone: the step posted without
//! `confirmed=1` answers with a confirmation that shows what will change (the state, the serial,
//! the validity, the reason), and posts the same fields again. After any step taken the
//! document says what was done, once ("已签发：生殖保健服务证，证号 SB2026000001").

use std::collections::BTreeMap;

use axum::response::Response;
use renkou_core::certificate::Certificate;
use renkou_core::certificate::{self, Step};
use renkou_store::CertificateView;

use super::{kind_name, state_name};
use crate::auth::Caller;
use crate::i18n::Catalog;
use crate::pages::Chrome;
use crate::pages::confirm::ConfirmPage;

/// Whether this step asks once before it is taken.
pub(super) fn is_weighty(step: Step) -> bool {
    matches!(
        step,
        Step::Issue | Step::Revoke | Step::Reissue | Step::Withdraw
    )
}

/// The confirmation of a weighty step on this document, with the form's fields to post again.
pub(super) fn confirm_page(
    caller: &Caller,
    view: &CertificateView,
    step: Step,
    values: &BTreeMap<String, String>,
    today: jiff::civil::Date,
) -> Response {
    let t = caller.t();
    let c = &view.certificate;
    let kind = kind_name(t, c.kind);
    let holder = view.holder.data.name.as_str();
    let serial = c.serial.clone().unwrap_or_default();
    let reason = values
        .get("reason")
        .map(|r| r.trim().to_string())
        .unwrap_or_default();
    let doc = format!("/certificates/{}", c.id);
    let action = format!("{doc}/step");
    let key = step.key();
    let intro = match step {
        Step::Issue | Step::Withdraw => t.fill(
            &format!("certificate.confirm_intro.{key}"),
            &[&holder, &kind],
        ),
        _ => t.fill(
            &format!("certificate.confirm_intro.{key}"),
            &[&holder, &kind, &serial],
        ),
    };
    let mut page = ConfirmPage::new(
        Chrome::new(caller, "/certificates", &doc),
        t.fill(
            &format!("certificate.confirm_title.{key}"),
            &[&kind, &holder],
        ),
        intro,
        action,
    )
    .confirm_label(t.text(&format!("certificate.confirm_yes.{key}")))
    .back(doc)
    .hidden(values.iter());
    let after = step
        .transition(c.state)
        .map(|s| state_name(t, s))
        .unwrap_or("—");
    page = page.change(t.text("certificate.state"), state_name(t, c.state), after);
    match step {
        Step::Issue => {
            let until = certificate::valid_until(c.kind, today)
                .map(|d| d.to_string())
                .unwrap_or_else(|| t.text("certificate.no_expiry").to_string());
            page = page
                .change(
                    t.text("certificate.serial"),
                    "—",
                    t.text("certificate.new_serial"),
                )
                .change(t.text("certificate.issued_on"), "—", today.to_string())
                .change(t.text("certificate.valid_until"), "—", until);
        }
        Step::Revoke => {
            page = page
                .change(
                    t.text("certificate.verify_says"),
                    t.text("validity.valid"),
                    t.text("validity.revoked"),
                )
                .change(t.text("certificate.reason"), "—", reason)
                .danger();
        }
        Step::Reissue => {
            page = page
                .change(
                    t.text("certificate.serial"),
                    serial,
                    t.text("certificate.new_serial"),
                )
                .change(
                    t.text("certificate.verify_says"),
                    t.text("validity.valid"),
                    t.text("validity.voided"),
                )
                .change(t.text("certificate.reason"), "—", reason)
                .danger();
        }
        Step::Withdraw if !reason.is_empty() => {
            page = page.change(t.text("certificate.reason"), "—", reason);
        }
        _ => {}
    }
    page.render()
}

/// What the document page says once after a step: the step, the kind and the serial (no
/// personal data: the message travels in a cookie).
pub(super) fn done_message(t: Catalog, step: Step, doc: &Certificate) -> String {
    let kind = kind_name(t, doc.kind);
    let serial = doc.serial.clone().unwrap_or_default();
    t.fill(
        &format!("certificate.done.{}", step.key()),
        &[&kind, &serial],
    )
}
