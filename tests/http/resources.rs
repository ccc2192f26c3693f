//! The table-driven scenario every declared business resource runs over HTTP, by naming its
//! declaration: access rules (own/all scopes, 403 vs 404), tenant isolation, every field
//! constraint as a 400 on that field, parents, lists (paging, every ordering, every filter,
//! search), PUT/PATCH semantics, the audit trail, and the OpenAPI description matching what
//! the server does.

use castellan_domain::resource::{Field, Kind, Presence, ResourceDef, CODE};
use castellan_domain::resources::ALL;
use castellan_testkit::resources::sample_scalar;
use castellan_tests::{assert_error, read, Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Map, Value};

/// What valid values may refer to: `admin` creates parents, `user` is an active user of
/// the tenant (an assignee, say).
#[derive(Clone, Copy)]
struct Refs<'a> {
    admin: &'a str,
    user: &'a str,
}

/// A valid value of `field` (the `position`th of `def`) for the `n`th object: its default
/// where it has one (what a client that leaves it out gets, and what every rule accepts on
/// create), else a made-up one; parents are created by `refs.admin`.
async fn valid(app: &TestApp, refs: Refs<'_>, field: &Field, position: usize, n: usize) -> Value {
    match (field.presence, field.kind) {
        (Presence::DefaultText(text), _) => json!(text),
        (Presence::DefaultBool(value), _) => json!(value),
        (_, Kind::User) => json!(refs.user),
        (_, Kind::Parent(parent)) => {
            let body = Box::pin(valid_body(app, refs, parent, n)).await;
            let (status, created) = app
                .call(
                    Method::POST,
                    &format!("/{}", parent.plural),
                    refs.admin,
                    Some(Value::Object(body)),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{created}");
            created["data"]["id"].clone()
        }
        _ => sample_scalar(field, position, n).map_or(Value::Null, |v| v.to_json()),
    }
}

/// A valid body with every field.
async fn valid_body(
    app: &TestApp,
    refs: Refs<'_>,
    def: &ResourceDef,
    n: usize,
) -> Map<String, Value> {
    let mut body = Map::new();
    for (position, field) in def.fields.iter().enumerate() {
        body.insert(
            field.name.into(),
            valid(app, refs, field, position, n).await,
        );
    }
    body
}

/// Values `field` must refuse, each a 400 on the field.
fn invalid(field: &Field) -> Vec<Value> {
    let mut bad = vec![json!(12), json!({"a": 1}), json!([])];
    if !field.is_nullable() {
        bad.push(Value::Null);
    }
    match field.kind {
        Kind::Text { min, max, pattern } => {
            bad.push(json!("x".repeat(max as usize + 1)));
            if min > 0 {
                bad.push(json!(""));
            }
            if let Some(pattern) = pattern {
                bad.push(json!(match pattern.regex == CODE.regex {
                    true => "a b",
                    false => "   ",
                }));
            }
        }
        Kind::Enum(_) => bad.push(json!("no-such-value")),
        Kind::Bool => bad.push(json!("true")),
        Kind::Date => bad.extend([json!("2026-02-30"), json!("26-1-1")]),
        Kind::Timestamp => bad.push(json!("yesterday")),
        Kind::Parent(_) | Kind::User => {
            bad.extend([json!("not-a-uuid"), json!(uuid::Uuid::now_v7())])
        }
    }
    bad
}

/// A role of `tenant` with `flags` on `element` (and read-all on its parents).
async fn role(app: &TestApp, admin: &str, def: &ResourceDef, name: &str, flags: Value) {
    let (status, body) = app
        .call(Method::POST, "/roles", admin, Some(json!({"name": name})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mut rules = vec![(def.element, flags)];
    rules.extend(
        def.parents()
            .map(|(_, p)| (p.element, json!({"can_read_all": true}))),
    );
    for (element, flags) in rules {
        let mut rule = json!({"role": name, "element": element});
        if let (Some(rule), Some(flags)) = (rule.as_object_mut(), flags.as_object()) {
            rule.extend(flags.clone());
        }
        let (status, body) = app
            .call(Method::POST, "/access-rules", admin, Some(rule))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
}

/// A user with `role`, logged in.
async fn scenario(app: &TestApp, def: &'static ResourceDef) {
    let admin = app.demo_login("admin").await;
    let collection = format!("/{}", def.plural);
    let item = |id: &Value| format!("/{}/{}", def.plural, id.as_str().unwrap());
    let writer_role = format!("Writer-{}", def.element);
    let reader_role = format!("Reader-{}", def.element);
    role(app, &admin, def, &writer_role, json!({"can_read_own": true, "can_create": true, "can_update_own": true, "can_delete_own": true})).await;
    role(
        app,
        &admin,
        def,
        &reader_role,
        json!({"can_read_all": true}),
    )
    .await;
    let (writer_id, writer) = app.member(&admin, &writer_role).await;
    let (_, other_writer) = app.member(&admin, &writer_role).await;
    let (_, reader) = app.member(&admin, &reader_role).await;
    let refs = Refs {
        admin: &admin,
        user: &writer_id,
    };

    // Whatever the tenant holds already (the demo seed's articles, say).
    let (_, before) = app.call(Method::GET, &collection, &reader, None).await;
    let base = before["meta"]["total"].as_u64().unwrap();

    // Create: the caller owns it, in their tenant; the representation has every field.
    let body = valid_body(app, refs, def, 1).await;
    let (status, created) = app
        .call(
            Method::POST,
            &collection,
            &writer,
            Some(Value::Object(body.clone())),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{}: {created}", def.element);
    let object = created["data"].clone();
    assert_eq!(object["owner_id"], writer_id.as_str());
    for (name, value) in &body {
        assert_eq!(&object[name], value, "{}.{name}", def.element);
    }
    let id = object["id"].clone();

    // Reads: the owner and read-all see it; another own-scope writer does not (404); the
    // reader may not change it (403), nor create (403).
    for (token, expected) in [
        (&writer, StatusCode::OK),
        (&reader, StatusCode::OK),
        (&other_writer, StatusCode::NOT_FOUND),
    ] {
        let (status, body) = app.call(Method::GET, &item(&id), token, None).await;
        assert_eq!(status, expected, "{}: {body}", def.element);
    }
    for (method, body) in [(Method::PATCH, Some(json!({}))), (Method::DELETE, None)] {
        let (status, response) = app.call(method.clone(), &item(&id), &reader, body).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{method} {}: {response}",
            def.element
        );
        assert_error(&response, "forbidden", None);
    }
    let (status, _) = app
        .call(
            Method::POST,
            &collection,
            &reader,
            Some(Value::Object(body.clone())),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Authorization comes before the body: a malformed body from the reader is still 403.
    let res = app
        .api(Method::PUT, &item(&id), Some(&reader))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "{}", def.element);

    // Another tenant's admin sees nothing of it (404, lists without it), and may not name
    // this tenant's objects as parents (400 on the field).
    let (_, outsider) = app.tenant(&format!("Outsiders of {}", def.plural)).await;
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let body = (method == Method::PATCH).then(|| json!({}));
        let (status, response) = app.call(method.clone(), &item(&id), &outsider, body).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{method} {} from another tenant: {response}",
            def.element
        );
    }
    let (_, theirs) = app.call(Method::GET, &collection, &outsider, None).await;
    assert_eq!(theirs["meta"]["total"], 0, "{}: {theirs}", def.element);
    if let Some((field, _)) = def.parents().next() {
        let (status, response) = app
            .call(
                Method::POST,
                &collection,
                &outsider,
                Some(Value::Object(body.clone())),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{}: {response}",
            def.element
        );
        assert_error(&response, "validation_error", Some(field.name));
    }

    // Lists: own scope shows the writer's own, read-all the tenant's.
    let (_, own) = app.call(Method::GET, &collection, &writer, None).await;
    assert_eq!(own["meta"]["total"], 1, "{}: {own}", def.element);
    let (_, none) = app
        .call(Method::GET, &collection, &other_writer, None)
        .await;
    assert_eq!(none["meta"]["total"], 0, "{}: {none}", def.element);
    let second = valid_body(app, refs, def, 2).await;
    let (status, _) = app
        .call(
            Method::POST,
            &collection,
            &other_writer,
            Some(Value::Object(second)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, all) = app.call(Method::GET, &collection, &reader, None).await;
    let total = base + 2;
    assert_eq!(all["meta"]["total"], total, "{}: {all}", def.element);
    let (_, paged) = app
        .call(
            Method::GET,
            &format!("{collection}?per_page=1&page=2"),
            &reader,
            None,
        )
        .await;
    assert_eq!(
        paged["meta"],
        json!({"page": 2, "per_page": 1, "total": total})
    );
    assert_eq!(paged["data"].as_array().unwrap().len(), 1);
    let (_, beyond) = app
        .call(Method::GET, &format!("{collection}?page=99"), &reader, None)
        .await;
    assert_eq!(
        (beyond["data"].clone(), beyond["meta"]["total"].clone()),
        (json!([]), json!(total))
    );
    for column in def.orderable() {
        for ordering in [column.to_string(), format!("-{column}")] {
            let (status, body) = app
                .call(
                    Method::GET,
                    &format!("{collection}?ordering={ordering}"),
                    &reader,
                    None,
                )
                .await;
            assert_eq!(
                status,
                StatusCode::OK,
                "{}: ordering={ordering}: {body}",
                def.element
            );
        }
    }
    for field in def.filterable() {
        let value = object[field.name]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| object[field.name].to_string());
        let (status, body) = app
            .call(
                Method::GET,
                &format!("{collection}?{}={value}", field.name),
                &reader,
                None,
            )
            .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{}: filter {}: {body}",
            def.element,
            field.name
        );
        assert!(body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o[field.name] == object[field.name]));
        assert!(
            body["data"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["id"] == id),
            "{}: filter {}",
            def.element,
            field.name
        );
        if !matches!(field.kind, Kind::Text { .. }) {
            let (status, body) = app
                .call(
                    Method::GET,
                    &format!("{collection}?{}=nope", field.name),
                    &reader,
                    None,
                )
                .await;
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{}: filter {}",
                def.element,
                field.name
            );
            assert_error(&body, "validation_error", Some(field.name));
        }
    }
    if let Some(field) = def.searchable().next() {
        let needle = object[field.name].as_str().unwrap().to_uppercase();
        let (_, found) = app
            .call(
                Method::GET,
                &format!("{collection}?search={}", needle.replace(' ', "%20")),
                &reader,
                None,
            )
            .await;
        assert!(
            found["data"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["id"] == id),
            "{}: search {needle}: {found}",
            def.element
        );
    }
    for (query, parameter) in [
        ("ordering=nope", "ordering"),
        ("ordering=", "ordering"),
        ("page=0", "page"),
        ("per_page=201", "per_page"),
        ("owner_id=x", "owner_id"),
        ("tenant_id=x", "tenant_id"),
    ] {
        let (status, body) = app
            .call(Method::GET, &format!("{collection}?{query}"), &reader, None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{}: ?{query}", def.element);
        assert_error(&body, "validation_error", Some(parameter));
    }

    // Every constraint of every field is a 400 on that field, on create and on patch.
    for field in def.fields {
        for bad in invalid(field) {
            let mut body = body.clone();
            body.insert(field.name.into(), bad.clone());
            let (status, response) = app
                .call(
                    Method::POST,
                    &collection,
                    &writer,
                    Some(Value::Object(body)),
                )
                .await;
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{}.{} = {bad}: {response}",
                def.element,
                field.name
            );
            assert_error(&response, "validation_error", Some(field.name));
            let (status, response) = app
                .call(
                    Method::PATCH,
                    &item(&id),
                    &writer,
                    Some(json!({field.name: bad})),
                )
                .await;
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "PATCH {}.{} = {bad}: {response}",
                def.element,
                field.name
            );
        }
        if field.presence == Presence::Required {
            let mut body = body.clone();
            body.remove(field.name);
            for method in [Method::POST, Method::PUT] {
                let path = if method == Method::POST {
                    collection.clone()
                } else {
                    item(&id)
                };
                let (status, response) = app
                    .call(
                        method.clone(),
                        &path,
                        &writer,
                        Some(Value::Object(body.clone())),
                    )
                    .await;
                assert_eq!(
                    status,
                    StatusCode::BAD_REQUEST,
                    "{method} {} without {}",
                    def.element,
                    field.name
                );
                assert_error(&response, "validation_error", Some(field.name));
            }
        }
    }
    for extra in ["id", "owner_id", "tenant_id", "created_at", "no_such_field"] {
        let mut body = body.clone();
        body.insert(extra.into(), json!(uuid::Uuid::now_v7()));
        let (status, response) = app
            .call(
                Method::POST,
                &collection,
                &writer,
                Some(Value::Object(body)),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{}: {extra}", def.element);
        assert_error(&response, "validation_error", Some(extra));
    }

    // PATCH changes what it names; PUT replaces every field.
    let changes = valid_body(app, refs, def, 3).await;
    if let Some((name, value)) = changes.iter().find(|(name, _)| {
        def.field(name)
            .is_some_and(|f| !matches!(f.kind, Kind::Parent(_)))
    }) {
        let (status, patched) = app
            .call(
                Method::PATCH,
                &item(&id),
                &writer,
                Some(json!({name.clone(): value})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{}: {patched}", def.element);
        assert_eq!(&patched["data"][name], value);
        for other in def.fields.iter().filter(|f| f.name != name) {
            assert_eq!(
                patched["data"][other.name], object[other.name],
                "{}: PATCH kept {}",
                def.element, other.name
            );
        }
    }
    let (status, replaced) = app
        .call(
            Method::PUT,
            &item(&id),
            &writer,
            Some(Value::Object(changes.clone())),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{}: {replaced}", def.element);
    for (name, value) in &changes {
        assert_eq!(&replaced["data"][name], value);
    }

    // Delete, then it is gone; every write is in the audit trail.
    let (status, _) = app.call(Method::DELETE, &item(&id), &writer, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.call(Method::GET, &item(&id), &writer, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, trail) = app
        .call(
            Method::GET,
            &format!(
                "/audit-logs?target_type={}&target_id={}&per_page=200",
                def.element,
                id.as_str().unwrap()
            ),
            &admin,
            None,
        )
        .await;
    let mut actions: Vec<&str> = trail["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    actions.sort_unstable();
    actions.dedup();
    let expected: Vec<String> = ["create", "delete", "update"]
        .iter()
        .map(|verb| format!("{}.{verb}", def.element))
        .collect();
    assert_eq!(actions, expected, "{}: {trail}", def.element);
}

async fn every_resource_through_its_routes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    for &def in ALL {
        scenario(&app, def).await;
    }
}

/// The OpenAPI document tells a client exactly what each resource's routes accept.
async fn every_resource_is_described(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, schema) = read(app.api(Method::GET, "/schema", None).send().await.unwrap()).await;
    for &def in ALL {
        let collection = &schema["paths"][format!("/api/v1/{}", def.plural)];
        let item = &schema["paths"][format!("/api/v1/{}/{{id}}", def.plural)];
        for (path, methods) in [
            (collection, &["get", "post"][..]),
            (item, &["get", "put", "patch", "delete"][..]),
        ] {
            for method in methods {
                assert!(
                    path[method]["responses"]["401"].is_object(),
                    "{} {method}",
                    def.plural
                );
            }
        }
        for status in ["400", "413", "415"] {
            assert!(
                collection["post"]["responses"][status].is_object(),
                "{} POST {status}",
                def.plural
            );
        }
        let parameters = collection["get"]["parameters"].as_array().unwrap();
        let page = parameters.iter().find(|p| p["name"] == "page").unwrap();
        assert_eq!(page["schema"]["minimum"], 1);
        let per_page = parameters.iter().find(|p| p["name"] == "per_page").unwrap();
        assert_eq!(
            (
                per_page["schema"]["minimum"].clone(),
                per_page["schema"]["maximum"].clone()
            ),
            (json!(1), json!(200))
        );
        let input = &schema["components"]["schemas"][format!("{}Input", def.name)];
        assert_eq!(input["additionalProperties"], false);
        for field in def.fields {
            let property = &input["properties"][field.name];
            match (&property["enum"], field.kind) {
                (Value::Array(values), Kind::Enum(declared)) => {
                    assert_eq!(
                        values.contains(&Value::Null),
                        field.is_nullable(),
                        "{}.{}",
                        def.element,
                        field.name
                    );
                    assert_eq!(
                        values.len(),
                        declared.len() + usize::from(field.is_nullable())
                    );
                }
                (Value::Null, kind) => assert!(
                    !matches!(kind, Kind::Enum(_)) && property.get("enum").is_none(),
                    "{}.{}: {property}",
                    def.element,
                    field.name
                ),
                (other, _) => panic!("{}.{}: enum {other}", def.element, field.name),
            }
            if let Kind::Text { min, max, .. } = field.kind {
                assert_eq!(
                    (property["minLength"].clone(), property["maxLength"].clone()),
                    (json!(min), json!(max)),
                    "{}.{}",
                    def.element,
                    field.name
                );
            }
            assert_eq!(
                input["required"]
                    .as_array()
                    .unwrap()
                    .contains(&json!(field.name)),
                field.is_required()
            );
        }
    }
}

every_config!(
    every_resource_through_its_routes,
    every_resource_is_described
);
