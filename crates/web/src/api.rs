//! The JSON API under /api/v1: the same register, the same scope, the same audit as the pages.
//! Clients authenticate with a bearer token from `POST /api/v1/tokens`. No ID number is ever
//! part of a URL: people are addressed by their internal id, and searched with `?q=`.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use renkou_core::{Action, PersonId};
use renkou_store::SessionKind;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::auth::{Caller, Source, login, today};
use crate::error::{ApiError, ApiErrorBody, ApiJson, ApiQuery, AppError};
use crate::forms::{
    EventView, ListQuery, PersonRecord, PersonSummary, event_from_fields, person_from_fields,
};

type ApiResult<T> = Result<T, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tokens", post(create_token))
        .route(
            "/api/v1/tokens/current",
            axum::routing::delete(revoke_token),
        )
        .route("/api/v1/me", get(me))
        .route("/api/v1/areas", get(list_areas))
        .route("/api/v1/persons", get(list_persons).post(create_person))
        .route("/api/v1/persons/{id}", get(get_person).put(update_person))
        .route(
            "/api/v1/persons/{id}/events",
            get(person_events).post(record_event),
        )
        .route("/api/v1/households/{household_no}", get(household))
        .route("/api/openapi.json", get(openapi_json))
        .route("/api/docs", get(docs))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "renkou API",
        description = "人口计生服务管理：人口登记与证件办理 API。All calls but `POST /api/v1/tokens` need `Authorization: Bearer TOKEN`. Errors are `{code, message, fields?}` with a stable snake_case code.",
        version = "1"
    ),
    paths(
        create_token,
        revoke_token,
        me,
        list_areas,
        list_persons,
        create_person,
        get_person,
        update_person,
        person_events,
        record_event,
        household,
        crate::api_certificates::list_certificates,
        crate::api_certificates::apply_certificate,
        crate::api_certificates::get_certificate,
        crate::api_certificates::take_step,
        crate::api_certificates::print_certificate,
        crate::api_stats::stats_report
    ),
    components(schemas(
        TokenRequest,
        TokenResponse,
        Me,
        AreaView,
        PersonPage,
        PersonSummary,
        PersonRecord,
        PersonWithTimeline,
        EventView,
        Created,
        Updated,
        ApiErrorBody,
        crate::api_certificates::CertificatePage,
        crate::api_certificates::CertificateSummary,
        crate::api_certificates::CertificateDetail,
        crate::api_certificates::CheckView,
        crate::api_certificates::StepView,
        crate::api_certificates::ApplyRequest,
        crate::api_certificates::ApplicationFields,
        crate::api_certificates::StepRequest,
        crate::api_certificates::PrintRequest,
        crate::api_stats::StatsReport,
        crate::api_stats::StatsRow,
        crate::api_stats::StatsArea,
        crate::api_stats::StatsComparison,
        crate::api_stats::StatsMonthBirths
    )),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        openapi.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub token: String,
    /// The token ends after this many idle minutes, or at `DELETE /api/v1/tokens/current`.
    pub idle_minutes: i64,
}

/// Exchange a username and password for a bearer token, with the account's scope.
#[utoipa::path(post, path = "/api/v1/tokens", request_body = TokenRequest, security(()),
    responses((status = 201, body = TokenResponse), (status = 401, body = ApiErrorBody),
              (status = 403, description = "account_locked", body = ApiErrorBody),
              (status = 429, description = "too_many_attempts", body = ApiErrorBody)))]
async fn create_token(
    State(state): State<AppState>,
    Source(from): Source,
    ApiJson(body): ApiJson<TokenRequest>,
) -> ApiResult<(StatusCode, Json<TokenResponse>)> {
    let done = login(
        &state,
        &body.username,
        &body.password,
        &from,
        SessionKind::Api,
    )
    .await?;
    if done.account.must_change_password {
        return Err(AppError::PasswordChangeRequired.into());
    }
    Ok((
        StatusCode::CREATED,
        Json(TokenResponse {
            token: done.token,
            idle_minutes: renkou_core::account::SESSION_IDLE.as_secs() / 60,
        }),
    ))
}

/// End the token this call is made with.
#[utoipa::path(delete, path = "/api/v1/tokens/current", responses((status = 204)))]
async fn revoke_token(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    let (actor, hash) = (caller.actor.clone(), caller.token_hash.clone());
    state.sessions.forget(&hash);
    state.pool.run(move |s| s.sign_out(&actor, &hash)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub username: String,
    pub role: String,
    pub area_code: String,
    /// The actions the role table gives this account.
    pub permissions: Vec<String>,
}

/// The account behind the token, and what it may do.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = Me)))]
async fn me(caller: Caller) -> Json<Me> {
    Json(Me {
        username: caller.account.username.to_string(),
        role: caller.account.role.key().to_string(),
        area_code: caller.account.area.to_string(),
        permissions: Action::all()
            .into_iter()
            .filter(|a| caller.allows(*a))
            .map(|a| match a {
                Action::RecordEvent(k) => format!("record_event:{}", k.code()),
                other => serde_json::to_value(other)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
            })
            .collect(),
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AreaView {
    pub code: String,
    pub name: String,
    /// district, centre, committee or group.
    pub level: String,
    pub parent: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AreaQuery {
    /// An area code: it and everything below it (within the account's area).
    pub under: Option<String>,
    /// Part of a name or the start of a code.
    pub q: Option<String>,
    /// At most this many (default 200, at most 1000).
    pub limit: Option<usize>,
}

/// Areas of the account's reach, searched by name or code.
#[utoipa::path(get, path = "/api/v1/areas", params(AreaQuery), responses((status = 200, body = [AreaView])))]
async fn list_areas(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AreaQuery>,
) -> ApiResult<Json<Vec<AreaView>>> {
    let areas =
        crate::pages::areas::search(&state, &caller, q.under.as_deref(), q.q.as_deref()).await?;
    Ok(Json(
        areas
            .into_iter()
            .take(q.limit.unwrap_or(200).min(1000))
            .map(|a| AreaView {
                parent: a.code.parent().map(|p| p.to_string()),
                level: a.level().key().to_string(),
                code: a.code.to_string(),
                name: a.name,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonPage {
    pub items: Vec<PersonSummary>,
    /// Pass as `after` for the next page; absent on the last page, and when the list was asked
    /// for by `page` or `sort`.
    pub next_after: Option<i64>,
    /// With `page` or `sort`: the next page's number; absent on the last page.
    pub next_page: Option<u32>,
    /// Every matching person, counted exactly.
    pub count: u64,
}

/// People in the account's area, filtered and searched, ID numbers and phones masked.
#[utoipa::path(get, path = "/api/v1/persons", params(ListQuery),
    responses((status = 200, body = PersonPage), (status = 422, body = ApiErrorBody)))]
async fn list_persons(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<PersonPage>> {
    let today = today(state.clock.now());
    let filter = q.filter(today).map_err(|e| AppError::Invalid(vec![e]))?;
    let order = q.order().map_err(|e| AppError::Invalid(vec![e]))?;
    // Page numbers and sorting, or (neither asked) the cursor in the area index's order.
    let paged = q.page.is_some() || q.sort.is_some();
    let (limit, page, after, actor) = (
        q.limit(),
        q.page(),
        q.after.map(PersonId),
        caller.actor.clone(),
    );
    let search = filter.search.clone();
    let (people, count) = state
        .pool
        .run(move |s| {
            let people = if paged {
                let offset = u64::from(page - 1) * u64::from(limit);
                s.persons_page_as(&actor, &filter, order, offset, limit + 1)?
            } else {
                s.persons_as(&actor, &filter, after, limit + 1)?
            };
            // A whole ID number finds one person at most: the page is the count.
            let count = match filter.search {
                Some(renkou_store::PersonSearch::IdNumber(_)) => people.len() as u64,
                _ => s.count_as(&actor, &filter)?,
            };
            Ok((people, count))
        })
        .await?;
    state
        .audit_lookup(&caller.actor, search.as_ref(), &people)
        .await?;
    let more = people.len() > limit as usize;
    let items: Vec<PersonSummary> = people
        .iter()
        .take(limit as usize)
        .map(|p| PersonSummary::of(p, today))
        .collect();
    Ok(Json(PersonPage {
        next_after: (more && !paged)
            .then(|| items.last().map(|p| p.id))
            .flatten(),
        next_page: (more && paged).then_some(page + 1),
        items,
        count,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonWithTimeline {
    pub person: PersonRecord,
    pub events: Vec<EventView>,
}

fn record_view(
    caller: &Caller,
    person: &renkou_core::Person,
    events: &[renkou_core::Event],
    today: jiff::civil::Date,
) -> PersonWithTimeline {
    // The store has already left out what this role may not see; the fields say so.
    PersonWithTimeline {
        person: PersonRecord::of(person, today, caller.scope().sees_health()),
        events: events.iter().map(EventView::of).collect(),
    }
}

/// One person's whole record and timeline. An audited view.
#[utoipa::path(get, path = "/api/v1/persons/{id}", params(("id" = i64, Path, description = "internal id")),
    responses((status = 200, body = PersonWithTimeline), (status = 404, body = ApiErrorBody)))]
async fn get_person(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<PersonWithTimeline>> {
    let (person, events) = state.view_person(&caller.actor, PersonId(id)).await?;
    Ok(Json(record_view(
        &caller,
        &person,
        &events,
        today(state.clock.now()),
    )))
}

/// The timeline alone (also an audited view).
#[utoipa::path(get, path = "/api/v1/persons/{id}/events", params(("id" = i64, Path)),
    responses((status = 200, body = [EventView]), (status = 404, body = ApiErrorBody)))]
async fn person_events(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<EventView>>> {
    let (person, events) = state.view_person(&caller.actor, PersonId(id)).await?;
    Ok(Json(
        record_view(&caller, &person, &events, today(state.clock.now())).events,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

/// Add a person. The body is an object of the people file's column keys (id_number, name, sex,
/// birth_date, ethnicity, marital_status, education, phone, household_no, relation,
/// population_type, registered_place, area_code, address, arrival_date, leaving_date,
/// origin_or_destination), each a string, checked exactly as an import row.
#[utoipa::path(post, path = "/api/v1/persons", request_body(content = Object),
    responses((status = 201, body = Created), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn create_person(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(fields): ApiJson<BTreeMap<String, String>>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    caller.require(&state, Action::EditPerson, "person").await?;
    let today = today(state.clock.now());
    let data = person_from_fields(&fields, today).map_err(AppError::Invalid)?;
    let actor = caller.actor.clone();
    let id = state
        .pool
        .run(move |s| s.add_person_as(&actor, data, today))
        .await
        .inspect(|_| state.summaries.clear())?;
    Ok((StatusCode::CREATED, Json(Created { id: id.0 })))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Updated {
    /// False when the data was already so (nothing recorded).
    pub changed: bool,
}

/// Correct a person: the whole set of fields as for create, plus `note`, the reason for the
/// correction (更正原因, required: the timeline shows it); a
/// correction event lists each changed field.
#[utoipa::path(put, path = "/api/v1/persons/{id}", params(("id" = i64, Path)), request_body(content = Object),
    responses((status = 200, body = Updated), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn update_person(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(mut fields): ApiJson<BTreeMap<String, String>>,
) -> ApiResult<Json<Updated>> {
    caller.require(&state, Action::EditPerson, "person").await?;
    let today = today(state.clock.now());
    let note = fields.remove("note").filter(|n| !n.trim().is_empty());
    let data = person_from_fields(&fields, today).map_err(AppError::Invalid)?;
    let actor = caller.actor.clone();
    let changed = state
        .pool
        .run(move |s| s.update_person_as(&actor, PersonId(id), data, today, note))
        .await
        .inspect(|_| state.summaries.clear())?;
    Ok(Json(Updated { changed }))
}

/// Record an event. The body is an object of the events file's column keys (event, date,
/// spouse_id_number, method, outcome, child_name, child_sex, birth_weight_g, birth_order,
/// birth_defect, to_area_code, note), each a string.
#[utoipa::path(post, path = "/api/v1/persons/{id}/events", params(("id" = i64, Path)), request_body(content = Object),
    responses((status = 201, body = EventView), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
async fn record_event(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(fields): ApiJson<BTreeMap<String, String>>,
) -> ApiResult<(StatusCode, Json<EventView>)> {
    let event = event_from_fields(&fields).map_err(AppError::Invalid)?;
    let today = today(state.clock.now());
    let actor = caller.actor.clone();
    let recorded = state
        .pool
        .run(move |s| s.record_event_as(&actor, PersonId(id), event, today))
        .await
        .inspect(|_| state.summaries.clear())?;
    Ok((StatusCode::CREATED, Json(EventView::of(&recorded))))
}

/// The members of a household the account may see (masked).
#[utoipa::path(get, path = "/api/v1/households/{household_no}", params(("household_no" = String, Path)),
    responses((status = 200, body = [PersonSummary])))]
async fn household(
    State(state): State<AppState>,
    caller: Caller,
    Path(household_no): Path<String>,
) -> ApiResult<Json<Vec<PersonSummary>>> {
    let actor = caller.actor.clone();
    let members = state
        .pool
        .run(move |s| s.household_as(&actor, &household_no))
        .await?;
    let today = today(state.clock.now());
    if members.is_empty() {
        return Err(AppError::NotFound.into());
    }
    Ok(Json(
        members
            .iter()
            .map(|p| PersonSummary::of(p, today))
            .collect(),
    ))
}

pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

async fn openapi_json() -> impl IntoResponse {
    Json(openapi())
}

/// One operation as the docs page lists it.
struct DocOperation {
    method: &'static str,
    path: String,
    text: Option<String>,
    parameters: Vec<(String, String)>,
    responses: Vec<String>,
}

#[derive(askama::Template)]
#[template(path = "api_docs.html")]
struct DocsPage {
    title: String,
    description: Option<String>,
    operations: Vec<DocOperation>,
}

/// A readable page of the API, drawn from the same document (no script needed).
async fn docs() -> Response {
    let doc = openapi();
    let mut operations = Vec::new();
    for (path, item) in &doc.paths.paths {
        let ops = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            operations.push(DocOperation {
                method,
                path: path.clone(),
                text: op.description.clone().or(op.summary.clone()),
                parameters: op
                    .parameters
                    .iter()
                    .flatten()
                    .map(|p| (p.name.clone(), p.description.clone().unwrap_or_default()))
                    .collect(),
                responses: op.responses.responses.keys().cloned().collect(),
            });
        }
    }
    crate::pages::render(DocsPage {
        title: doc.info.title,
        description: doc.info.description,
        operations,
    })
}
