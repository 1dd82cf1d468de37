//! The certificates in the JSON API: the same queues, steps, checks and audit as the pages.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use renkou_core::certificate::{Application, CheckOutcome, Queue, Step};
use renkou_core::person::FieldError;
use renkou_core::{CertificateKind, PersonId};
use renkou_store::{CertificateView, StepInput};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{Caller, today};
use crate::error::{ApiError, ApiJson, ApiQuery, AppError};
use crate::pages::certificates::application_from_fields;

type ApiResult<T> = Result<T, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/certificates",
            get(list_certificates).post(apply_certificate),
        )
        .route("/api/v1/certificates/{id}", get(get_certificate))
        .route("/api/v1/certificates/{id}/steps", post(take_step))
        .route("/api/v1/certificates/{id}/print", post(print_certificate))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CertificateQuery {
    /// review (default), print, deliver, returned, issued, all.
    pub queue: Option<String>,
    /// reproductive_health_card, birth_registration, migrant_certificate.
    pub kind: Option<String>,
    /// The last id of the previous page.
    pub after: Option<i64>,
    /// 1–200, default 50.
    pub limit: Option<u32>,
}

/// A document in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateSummary {
    pub id: i64,
    /// reproductive_health_card, birth_registration or migrant_certificate.
    pub kind: String,
    /// applied, returned, rejected, issued, voided, revoked.
    pub state: String,
    /// For issued documents: valid, expired, revoked or voided.
    pub validity: Option<String>,
    pub person_id: i64,
    pub holder_name: String,
    pub area_code: String,
    pub serial: Option<String>,
    pub applied_at: String,
    pub issued_on: Option<String>,
    pub valid_until: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CertificatePage {
    pub items: Vec<CertificateSummary>,
    pub next_after: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckView {
    pub key: String,
    /// passed, note (does not stop approval) or missing (stops it).
    pub outcome: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    pub step: String,
    pub at: String,
    pub by: String,
    pub note: Option<String>,
}

/// A document with its application, the review's checks (while it waits) and its history.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateDetail {
    #[serde(flatten)]
    pub summary: CertificateSummary,
    /// spouse_name, spouse_id_number, expected_date, destination, note: what the kind asks.
    #[schema(value_type = Object)]
    pub application: serde_json::Value,
    pub checks: Vec<CheckView>,
    pub steps: Vec<StepView>,
    pub verify_code: Option<String>,
    /// Seconds from application to issue.
    pub processing_seconds: Option<i64>,
    pub copies_printed: i64,
    pub delivered: bool,
    pub replaces: Option<i64>,
    pub replaced_by: Option<i64>,
    pub reason: Option<String>,
}

/// What an application adds to the register's data; the kind decides which are kept.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ApplicationFields {
    /// When the spouse is not on this register.
    pub spouse_name: Option<String>,
    pub spouse_id_number: Option<String>,
    /// YYYY-MM-DD
    pub expected_date: Option<String>,
    pub destination: Option<String>,
    pub note: Option<String>,
}

impl ApplicationFields {
    /// Read as the page's form reads them, with the same errors.
    fn parse(&self) -> Result<Application, AppError> {
        let values: BTreeMap<String, String> = [
            ("spouse_name", &self.spouse_name),
            ("spouse_id_number", &self.spouse_id_number),
            ("expected_date", &self.expected_date),
            ("destination", &self.destination),
            ("note", &self.note),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k.to_string(), v)))
        .collect();
        application_from_fields(&values).map_err(AppError::Invalid)
    }
}

/// An application. The holder's data comes from the register.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ApplyRequest {
    pub person_id: i64,
    pub kind: String,
    #[serde(flatten)]
    pub fields: ApplicationFields,
}

/// A step: return, reject, issue, resubmit, deliver, reissue, revoke. Printing is
/// `POST …/print`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct StepRequest {
    pub step: String,
    /// Required for return, reject, reissue and revoke.
    pub reason: Option<String>,
    /// On resubmit: the corrected application.
    #[serde(flatten)]
    pub fields: ApplicationFields,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PrintRequest {
    /// 1–10, default 1.
    pub copies: Option<u32>,
}

fn summary(
    c: &renkou_core::certificate::Certificate,
    holder_name: String,
    day: jiff::civil::Date,
) -> CertificateSummary {
    CertificateSummary {
        id: c.id,
        kind: c.kind.code().to_string(),
        state: c.state.code().to_string(),
        validity: c.validity_on(day).map(|v| v.key().to_string()),
        person_id: c.person_id.0,
        holder_name,
        area_code: c.area_code.to_string(),
        serial: c.serial.clone(),
        applied_at: c.applied_at.to_string(),
        issued_on: c.issued_on.map(|d| d.to_string()),
        valid_until: c.valid_until.map(|d| d.to_string()),
    }
}

fn detail(view: CertificateView, day: jiff::civil::Date) -> CertificateDetail {
    let c = &view.certificate;
    CertificateDetail {
        summary: summary(c, view.holder.data.name.as_str().to_string(), day),
        application: serde_json::to_value(&c.application).unwrap_or_default(),
        checks: view
            .checks
            .iter()
            .map(|ch| CheckView {
                key: ch.key.to_string(),
                outcome: match ch.outcome {
                    CheckOutcome::Passed => "passed",
                    CheckOutcome::Note => "note",
                    CheckOutcome::Missing => "missing",
                }
                .to_string(),
                message: ch.message.clone(),
            })
            .collect(),
        steps: view
            .steps
            .iter()
            .map(|s| StepView {
                step: s.step.key().to_string(),
                at: s.at.to_string(),
                by: s.username.clone(),
                note: s.note.clone(),
            })
            .collect(),
        verify_code: c.verify_code.as_ref().map(|v| v.to_string()),
        processing_seconds: c.processing_seconds,
        copies_printed: c.copies_printed,
        delivered: c.delivered,
        replaces: c.replaces,
        replaced_by: c.replaced_by,
        reason: c.reason.clone(),
    }
}

/// A work queue of the account's area.
#[utoipa::path(get, path = "/api/v1/certificates", params(CertificateQuery),
    responses((status = 200, body = CertificatePage), (status = 403, body = crate::error::ApiErrorBody)))]
pub async fn list_certificates(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CertificateQuery>,
) -> ApiResult<Json<CertificatePage>> {
    let queue = match q.queue.as_deref() {
        None => Queue::Review,
        Some(k) => {
            Queue::from_key(k).ok_or_else(|| AppError::BadRequest(format!("没有队列“{k}”")))?
        }
    };
    let kind = match q.kind.as_deref().filter(|k| !k.is_empty()) {
        None => None,
        Some(k) => Some(
            CertificateKind::parse(k)
                .map_err(|e| AppError::Invalid(vec![FieldError::new("kind", e)]))?,
        ),
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let (actor, after) = (caller.actor.clone(), q.after);
    let items = state
        .pool
        .run(move |s| s.certificates_as(&actor, queue, kind, after, limit + 1))
        .await?;
    let day = today(state.clock.now());
    let more = items.len() > limit as usize;
    let items: Vec<CertificateSummary> = items
        .into_iter()
        .take(limit as usize)
        .map(|i| summary(&i.certificate, i.holder_name, day))
        .collect();
    Ok(Json(CertificatePage {
        next_after: more.then(|| items.last().map(|i| i.id)).flatten(),
        items,
    }))
}

/// Take an application for a person in the account's area.
#[utoipa::path(post, path = "/api/v1/certificates", request_body = ApplyRequest,
    responses((status = 201, body = CertificateDetail), (status = 404, body = crate::error::ApiErrorBody),
              (status = 422, body = crate::error::ApiErrorBody)))]
pub async fn apply_certificate(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ApplyRequest>,
) -> ApiResult<(StatusCode, Json<CertificateDetail>)> {
    let kind = CertificateKind::parse(&body.kind)
        .map_err(|e| AppError::Invalid(vec![FieldError::new("kind", e)]))?;
    let app = body.fields.parse()?;
    let day = today(state.clock.now());
    let actor = caller.actor.clone();
    let view = state
        .pool
        .run(move |s| {
            let c = s.apply_certificate(&actor, PersonId(body.person_id), kind, app, day)?;
            s.certificate_as(&actor, c.id, day)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(detail(view, day))))
}

/// One document: an audited view.
#[utoipa::path(get, path = "/api/v1/certificates/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = CertificateDetail), (status = 404, body = crate::error::ApiErrorBody)))]
pub async fn get_certificate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<CertificateDetail>> {
    let day = today(state.clock.now());
    let actor = caller.actor.clone();
    let view = state
        .pool
        .run(move |s| s.certificate_as(&actor, id, day))
        .await?;
    Ok(Json(detail(view, day)))
}

/// Review (issue, return, reject), resubmit, deliver, reissue or revoke. Answers the document
/// after the step; for a reissue, the new document.
#[utoipa::path(post, path = "/api/v1/certificates/{id}/steps", params(("id" = i64, Path)), request_body = StepRequest,
    responses((status = 200, body = CertificateDetail), (status = 403, body = crate::error::ApiErrorBody),
              (status = 404, body = crate::error::ApiErrorBody), (status = 422, body = crate::error::ApiErrorBody)))]
pub async fn take_step(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<StepRequest>,
) -> ApiResult<Json<CertificateDetail>> {
    let step = Step::from_key(&body.step)
        .filter(|s| !matches!(s, Step::Apply | Step::Print))
        .ok_or_else(|| {
            AppError::Invalid(vec![FieldError::new(
                "step",
                format!(
                    "没有办理环节“{}”；可用：return, reject, issue, resubmit, deliver, reissue, revoke",
                    body.step
                ),
            )])
        })?;
    let application = if step == Step::Resubmit {
        Some(body.fields.parse()?)
    } else {
        None
    };
    let input = StepInput {
        reason: body.reason,
        copies: None,
        application,
    };
    let day = today(state.clock.now());
    let actor = caller.actor.clone();
    let view = state
        .pool
        .run(move |s| {
            let c = s.certificate_step(&actor, id, step, input, day)?;
            s.certificate_as(&actor, c.id, day)
        })
        .await?;
    Ok(Json(detail(view, day)))
}

/// Print an issued, valid document: answers the PDF and records who printed how many copies.
#[utoipa::path(post, path = "/api/v1/certificates/{id}/print", params(("id" = i64, Path)), request_body = PrintRequest,
    responses((status = 200, description = "the document as an A4 PDF", content_type = "application/pdf"),
              (status = 403, body = crate::error::ApiErrorBody), (status = 404, body = crate::error::ApiErrorBody),
              (status = 422, body = crate::error::ApiErrorBody)))]
pub async fn print_certificate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<PrintRequest>,
) -> ApiResult<Response> {
    let copies = body.copies.unwrap_or(1);
    let (serial, pdf) = crate::printing::print(&state, &caller.actor, id, copies).await?;
    Ok(crate::printing::pdf_response(&serial, pdf))
}
