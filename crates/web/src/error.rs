//! Errors as the user sees them: a page in their language, or a JSON `{code, message}` with a
//! stable snake_case code. Internal details are logged, never shown.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use renkou_core::person::FieldError;
use renkou_store::StoreError;
use serde::Serialize;

use crate::i18n::Catalog;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("unauthenticated")]
    Unauthenticated,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("csrf")]
    Csrf,
    #[error("throttled")]
    Throttled,
    #[error("locked until {0}")]
    Locked(Timestamp),
    #[error("password change required")]
    PasswordChangeRequired,
    /// The account's password was set by an administrator and waits for another's approval.
    #[error("awaiting approval by {0}")]
    AwaitingApproval(renkou_core::Role),
    /// Printing needs the public address of the verify page (`--public-url`).
    #[error("public url not set")]
    PublicUrlMissing,
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => AppError::NotFound,
            StoreError::Denied(_) => AppError::Forbidden,
            StoreError::Rejected(errors) => AppError::Invalid(errors),
            StoreError::DuplicateIdNumber(masked) => AppError::Invalid(vec![FieldError::new(
                "id_number",
                format!("身份证号 {masked} 已在登记中"),
            )]),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf | AppError::PasswordChangeRequired => {
                StatusCode::FORBIDDEN
            }
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Invalid(_) | AppError::BadRequest(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Throttled => StatusCode::TOO_MANY_REQUESTS,
            AppError::Locked(_) | AppError::AwaitingApproval(_) => StatusCode::FORBIDDEN,
            AppError::PublicUrlMissing => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code API clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Invalid(_) => "invalid_input",
            AppError::BadRequest(_) => "bad_request",
            AppError::Csrf => "csrf_token_invalid",
            AppError::Throttled => "too_many_attempts",
            AppError::Locked(_) => "account_locked",
            AppError::PasswordChangeRequired => "password_change_required",
            AppError::AwaitingApproval(_) => "account_awaiting_approval",
            AppError::PublicUrlMissing => "public_url_not_set",
            AppError::Internal(_) => "internal_error",
        }
    }

    /// The message a person reads.
    pub fn message(&self, t: Catalog) -> String {
        match self {
            AppError::Locked(until) => t.fill("error.account_locked", &[&local_time(*until)]),
            AppError::AwaitingApproval(role) => t.fill(
                "error.account_awaiting_approval",
                &[&t.text(&format!("role.{}", role.key()))],
            ),
            AppError::BadRequest(m) => m.clone(),
            AppError::Invalid(errors) if errors.len() == 1 => t.message(&errors[0].message),
            other => t.text(&format!("error.{}", other.code())).to_string(),
        }
    }
}

/// A time as the staff read it: Beijing time, to the minute.
pub fn local_time(t: Timestamp) -> String {
    beijing(t).strftime("%Y-%m-%d %H:%M").to_string()
}

/// A time's date as the staff read it: Beijing time (a row made at 20:00 UTC is tomorrow's).
pub fn local_date(t: Timestamp) -> String {
    beijing(t).date().to_string()
}

/// Every time shown is Beijing time (UTC+8, no daylight saving): pages format through here.
pub fn beijing(t: Timestamp) -> jiff::Zoned {
    t.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiErrorBody {
    /// Stable snake_case code: unauthenticated, forbidden, not_found, invalid_input, bad_request,
    /// csrf_token_invalid, too_many_attempts, account_locked, password_change_required,
    /// account_awaiting_approval, public_url_not_set, internal_error.
    pub code: String,
    pub message: String,
    /// For invalid_input: one entry per field, by the field's key.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<ApiFieldError>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiFieldError {
    pub field: String,
    pub message: String,
}

/// An error answered as JSON.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        if let AppError::Internal(detail) = &e {
            tracing::error!(%detail, "internal error");
        }
        let fields = match &e {
            AppError::Invalid(errors) => errors
                .iter()
                .map(|f| ApiFieldError {
                    field: f.field.to_string(),
                    message: f.message.clone(),
                })
                .collect(),
            _ => Vec::new(),
        };
        let body = ApiErrorBody {
            code: e.code().to_string(),
            message: e.message(Catalog::default()),
            fields,
        };
        let mut response = (e.status(), Json(body)).into_response();
        if matches!(e, AppError::Unauthenticated) {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

/// `Json` whose rejection (malformed JSON, a wrong type) is an API error with a code.
pub struct ApiJson<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    axum::Json<T>:
        axum::extract::FromRequest<S, Rejection = axum::extract::rejection::JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(e) => Err(ApiError(AppError::BadRequest(e.body_text()))),
        }
    }
}

/// `Query` whose rejection (a letter in a number box) is an API error with a code.
pub struct ApiQuery<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(ApiError(AppError::BadRequest(e.body_text()))),
        }
    }
}
