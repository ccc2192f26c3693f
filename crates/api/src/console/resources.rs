//! One generic list / detail / edit page for every business resource, driven by its
//! declaration (`castellan_domain::resources::ALL`): columns and form inputs come from the
//! declared fields, and the generic `ResourceService` (the same as `/api/v1/<plural>`)
//! decides. No page is written per resource.

use super::form::Form;
use super::page::{done, ok, Chrome, ConsoleError, Page, Pager};
use super::session::Console;
use crate::list::{resource_request, QueryMap};
use crate::state::AppState;
use actix_web::{web, HttpRequest};
use askama::Template;
use castellan_application::{AppError, Principal, ResourceService};
use castellan_domain::rbac::Action;
use castellan_domain::resource::{Field, Kind, Record, ResourceDef};
use castellan_domain::resources::ALL;
use serde_json::{Map, Value};
use uuid::Uuid;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/resources", web::get().to(index))
        .route("/resources/{plural}", web::get().to(list))
        .route("/resources/{plural}", web::post().to(create))
        .route("/resources/{plural}/{id}", web::get().to(detail))
        .route("/resources/{plural}/{id}", web::post().to(update))
        .route("/resources/{plural}/{id}/delete", web::post().to(delete));
}

/// The declaration named by a URL segment (404 when none is).
fn declared(plural: &str) -> Result<&'static ResourceDef, ConsoleError> {
    ALL.iter()
        .copied()
        .find(|def| def.plural == plural)
        .ok_or_else(|| AppError::NotFound(format!("no resource {plural}")).into())
}

#[derive(Debug, Clone)]
struct Link {
    href: String,
    label: String,
    about: String,
}

#[derive(Template)]
#[template(path = "console/resources.html")]
struct IndexPage {
    chrome: Chrome,
    resources: Vec<Link>,
}

/// `GET /console/resources`: the resources the caller's rules let them list.
async fn index(req: HttpRequest, Console(p): Console) -> Page {
    let resources = ALL
        .iter()
        .filter(|def| p.subject.list_scope(def.element).is_ok())
        .map(|def| Link {
            href: format!("/console/resources/{}", def.plural),
            label: def.name.to_string(),
            about: def.about.to_string(),
        })
        .collect();
    ok(&IndexPage {
        chrome: Chrome::new(&req, &p, "Business resources"),
        resources,
    })
}

/// A form input for a declared field.
#[derive(Debug, Clone)]
struct Input {
    name: &'static str,
    about: &'static str,
    /// `text`, `date`, `checkbox` or `select`.
    kind: &'static str,
    options: Vec<&'static str>,
    value: String,
    checked: bool,
    required: bool,
    max: u32,
}

fn text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

impl Input {
    fn of(field: &'static Field, values: Option<&Map<String, Value>>) -> Input {
        let value = values.and_then(|v| v.get(field.name));
        let (kind, options, max) = match field.kind {
            Kind::Bool => ("checkbox", vec![], 0),
            Kind::Enum(options) => ("select", options.to_vec(), 0),
            Kind::Date => ("date", vec![], 0),
            Kind::Text { max, .. } => ("text", vec![], max),
            _ => ("text", vec![], 0),
        };
        Input {
            name: field.name,
            about: field.about,
            kind,
            options,
            value: text(value),
            checked: value == Some(&Value::Bool(true)),
            required: matches!(
                field.presence,
                castellan_domain::resource::Presence::Required
            ) && values.is_none(),
            max,
        }
    }
}

/// What a submitted form does to its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Submitted {
    /// A new record: a field left blank is absent (its default, or `null`).
    Create,
    /// An edit: the form shows every field with its value, so a field sent blank was
    /// emptied ([`emptied`]).
    Update,
}

/// The body a form comes to: each declared field the form filled in (a checkbox is
/// always there: unticked is false), and on an edit each field emptied that can be.
fn body(def: &ResourceDef, form: &Form, submitted: Submitted) -> Map<String, Value> {
    def.fields
        .iter()
        .filter_map(|field| {
            let value = match field.kind {
                Kind::Bool => Value::Bool(form.checked(field.name)),
                _ => match form.text(field.name) {
                    Some(text) => Value::String(text),
                    None if submitted == Submitted::Update && form.raw(field.name).is_some() => {
                        emptied(field)?
                    }
                    None => return None,
                },
            };
            Some((field.name.to_string(), value))
        })
        .collect()
}

/// What a field emptied on an edit form becomes: `null` when it may hold none, no text
/// when it may be empty; `None` (left as it is) when it can be neither (a required or
/// defaulted value, which a blank box cannot mean to set).
fn emptied(field: &Field) -> Option<Value> {
    match field.kind {
        _ if field.is_nullable() => Some(Value::Null),
        Kind::Text {
            min: 0,
            pattern: None,
            ..
        } => Some(Value::String(String::new())),
        _ => None,
    }
}

#[derive(Debug, Clone)]
struct Row {
    href: String,
    cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/resource_list.html")]
struct ListPage {
    chrome: Chrome,
    plural: &'static str,
    columns: Vec<&'static str>,
    rows: Vec<Row>,
    search: String,
    pager: Pager,
    inputs: Vec<Input>,
    /// Whether the caller may create one (the new-object form).
    may_create: bool,
}

/// `GET /console/resources/{plural}?search=&page=`.
async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    path: web::Path<String>,
    query: web::Query<QueryMap>,
) -> Page {
    let def = declared(&path)?;
    let request = resource_request(&query, def)?;
    let (page, per_page, search) = (request.page, request.per_page, request.search.clone());
    let found = state.resources.list(&p, def, request).await?;
    let columns: Vec<&'static str> = def.fields.iter().map(|f| f.name).collect();
    let rows = found
        .items
        .iter()
        .map(|record| {
            let json = record.to_json(def);
            Row {
                href: format!("/console/resources/{}/{}", def.plural, record.id),
                cells: columns.iter().map(|c| text(json.get(*c))).collect(),
            }
        })
        .collect();
    let search = search.unwrap_or_default();
    ok(&ListPage {
        chrome: Chrome::new(&req, &p, def.name.to_string() + "s"),
        plural: def.plural,
        columns,
        rows,
        pager: Pager::new(
            req.path(),
            &[("search", search.clone())],
            page,
            per_page,
            found.total,
        ),
        search,
        inputs: def.fields.iter().map(|f| Input::of(f, None)).collect(),
        may_create: ResourceService::may(&p, def, Action::Create, None),
    })
}

#[derive(Template)]
#[template(path = "console/resource_item.html")]
struct ItemPage {
    chrome: Chrome,
    action: String,
    facts: Vec<(&'static str, String)>,
    /// The edit form's inputs; empty when the caller may not change the object (its
    /// fields are then among the facts).
    inputs: Vec<Input>,
    /// Whether the caller may delete it.
    may_delete: bool,
}

fn item_page(req: &HttpRequest, p: &Principal, def: &ResourceDef, record: &Record) -> Page {
    let json = record.to_json(def);
    let may_update = ResourceService::may(p, def, Action::Update, Some(record));
    let mut facts: Vec<(&'static str, String)> = ["id", "owner_id", "created_at", "updated_at"]
        .into_iter()
        .map(|k| (k, text(json.get(k))))
        .collect();
    let mut inputs = Vec::new();
    for field in def.fields {
        match may_update {
            true => inputs.push(Input::of(field, Some(&json))),
            false => facts.push((field.name, text(json.get(field.name)))),
        }
    }
    ok(&ItemPage {
        chrome: Chrome::new(req, p, format!("{} {}", def.name, record.id)),
        action: format!("/console/resources/{}/{}", def.plural, record.id),
        facts,
        inputs,
        may_delete: ResourceService::may(p, def, Action::Delete, Some(record)),
    })
}

/// `GET /console/resources/{plural}/{id}`.
async fn detail(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    path: web::Path<(String, Uuid)>,
) -> Page {
    let (plural, id) = path.into_inner();
    let def = declared(&plural)?;
    let record = state.resources.get(&p, def, id).await?;
    item_page(&req, &p, def, &record)
}

/// `POST /console/resources/{plural}`.
async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    path: web::Path<String>,
    form: Form,
) -> Page {
    let def = declared(&path)?;
    let record = state
        .resources
        .create::<crate::error::ApiError>(&p, def, Ok(body(def, &form, Submitted::Create)))
        .await?;
    let href = format!("/console/resources/{}/{}", def.plural, record.id);
    Ok(done(&req, &href, &format!("{} created.", def.name)))
}

/// `POST /console/resources/{plural}/{id}`: the filled-in fields changed (PATCH).
async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    path: web::Path<(String, Uuid)>,
    form: Form,
) -> Page {
    let (plural, id) = path.into_inner();
    let def = declared(&plural)?;
    state
        .resources
        .update::<crate::error::ApiError>(
            &p,
            def,
            id,
            Ok(body(def, &form, Submitted::Update)),
            false,
        )
        .await?;
    let href = format!("/console/resources/{}/{id}", def.plural);
    Ok(done(&req, &href, &format!("{} saved.", def.name)))
}

/// `POST /console/resources/{plural}/{id}/delete`.
async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    path: web::Path<(String, Uuid)>,
    _form: Form,
) -> Page {
    let (plural, id) = path.into_inner();
    let def = declared(&plural)?;
    state.resources.delete(&p, def, id).await?;
    let href = format!("/console/resources/{}", def.plural);
    Ok(done(&req, &href, &format!("{} deleted.", def.name)))
}

#[cfg(test)]
mod tests {
    use super::{body, Form, Submitted};
    use castellan_domain::resources::TASKS;
    use serde_json::{json, Value};

    /// A task's edit form with every field blank but its title.
    fn blank_task() -> Form {
        Form::of(&[
            ("workflow_id", ""),
            ("title", "Kept"),
            ("description", ""),
            ("status", ""),
            ("priority", ""),
            ("due_date", ""),
            ("assignee_id", ""),
        ])
    }

    #[test]
    fn an_edit_empties_what_can_be_empty_and_keeps_the_rest() {
        let sent = Value::Object(body(&TASKS, &blank_task(), Submitted::Update));
        // The workflow (required) and the status and priority (defaulted enums) stay.
        assert_eq!(
            sent,
            json!({"title": "Kept", "description": "", "due_date": null, "assignee_id": null})
        );
    }

    #[test]
    fn a_create_leaves_blank_fields_out() {
        let sent = Value::Object(body(&TASKS, &blank_task(), Submitted::Create));
        assert_eq!(sent, json!({"title": "Kept"}));
    }

    #[test]
    fn an_edit_leaves_fields_the_form_did_not_send_alone() {
        let form = Form::of(&[("title", "Only this")]);
        let sent = Value::Object(body(&TASKS, &form, Submitted::Update));
        assert_eq!(sent, json!({"title": "Only this"}));
    }
}
