//! FlowTrack's rules over HTTP, each test named after its rule: owner scoping under the
//! system role `User`, parents the caller may not see, parents with children, assignees,
//! and the task defaults and filters.

use castellan_tests::{assert_error, Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Creates `body` at `path` as `token`; asserts 201 and returns the object.
async fn create(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (status, created) = app.call(Method::POST, path, token, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{path}: {created}");
    created["data"].clone()
}

fn id(object: &Value) -> &str {
    object["id"].as_str().unwrap()
}

/// A project, a workflow in it and a task in that, owned by `token`'s user.
async fn tree(app: &TestApp, token: &str) -> (Value, Value, Value) {
    let project = create(app, token, "/projects", json!({"name": "Launch"})).await;
    let workflow = create(
        app,
        token,
        "/workflows",
        json!({"project_id": id(&project), "name": "Design"}),
    )
    .await;
    let task = create(
        app,
        token,
        "/tasks",
        json!({"workflow_id": id(&workflow), "title": "Sketch"}),
    )
    .await;
    (project, workflow, task)
}

async fn the_user_role_sees_only_its_own(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let (admin, user, guest) = (
        app.demo_login("admin").await,
        app.demo_login("user").await,
        app.demo_login("guest").await,
    );
    let (_, other) = app.user().await; // registered: the system role `User` too
    let other = other.access;
    let (project, workflow, task) = tree(&app, &user).await;
    for (path, object) in [
        ("projects", &project),
        ("workflows", &workflow),
        ("tasks", &task),
    ] {
        let item = format!("/{path}/{}", id(object));
        assert_eq!(
            app.call(Method::GET, &item, &user, None).await.0,
            StatusCode::OK
        );
        assert_eq!(
            app.call(Method::GET, &item, &admin, None).await.0,
            StatusCode::OK
        );
        let (status, body) = app.call(Method::GET, &item, &other, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        let (status, body) = app
            .call(Method::PATCH, &item, &other, Some(json!({})))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        let (_, listed) = app
            .call(Method::GET, &format!("/{path}"), &other, None)
            .await;
        assert_eq!(listed["meta"]["total"], 0, "{path}: {listed}");
        let (_, listed) = app
            .call(Method::GET, &format!("/{path}"), &user, None)
            .await;
        assert_eq!(listed["meta"]["total"], 1, "{path}: {listed}");
        // The guest role has no rule on FlowTrack's elements.
        let (status, body) = app
            .call(Method::GET, &format!("/{path}"), &guest, None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_error(&body, "forbidden", None);
    }
}

async fn a_parent_the_caller_may_not_see_is_a_400(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let user = app.demo_login("user").await;
    let (_, other) = app.user().await;
    let (project, workflow, _) = tree(&app, &user).await;
    for (path, body, field) in [
        (
            "/workflows",
            json!({"project_id": id(&project), "name": "Mine now"}),
            "project_id",
        ),
        (
            "/tasks",
            json!({"workflow_id": id(&workflow), "title": "Mine now"}),
            "workflow_id",
        ),
    ] {
        let (status, response) = app
            .call(Method::POST, path, &other.access, Some(body))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {response}");
        assert_error(&response, "validation_error", Some(field));
    }
}

async fn a_parent_with_children_cannot_be_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let user = app.demo_login("user").await;
    let (project, workflow, task) = tree(&app, &user).await;
    for (path, parent) in [("projects", &project), ("workflows", &workflow)] {
        let (status, body) = app
            .call(
                Method::DELETE,
                &format!("/{path}/{}", id(parent)),
                &user,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{path}: {body}");
        assert_error(&body, "conflict", None);
    }
    // Children first, then the parents go.
    for (path, object) in [
        ("tasks", &task),
        ("workflows", &workflow),
        ("projects", &project),
    ] {
        let (status, _) = app
            .call(
                Method::DELETE,
                &format!("/{path}/{}", id(object)),
                &user,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{path}");
    }
}

async fn an_assignee_is_an_active_user_of_the_tenant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    let user = app.demo_login("user").await;
    let (_, workflow, task) = tree(&app, &user).await;
    let (_, me) = app.call(Method::GET, "/auth/me", &user, None).await;
    let me = me["data"]["id"].as_str().unwrap().to_string();
    let (colleague_email, _) = app.user().await;
    let (_, users) = app
        .call(
            Method::GET,
            &format!("/users?search={colleague_email}"),
            &admin,
            None,
        )
        .await;
    let colleague = users["data"][0]["id"].as_str().unwrap().to_string();
    // Another tenant's admin is nobody here.
    let (status, stranger) = app
        .call(
            Method::POST,
            "/tenants",
            &admin,
            Some(json!({"name": "Elsewhere", "admin": {"email": "boss@elsewhere.example", "password": castellan_tests::PASSWORD}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{stranger}");
    let stranger = stranger["data"]["admin_user_id"]
        .as_str()
        .unwrap()
        .to_string();

    let item = format!("/tasks/{}", id(&task));
    let (status, body) = app
        .call(
            Method::PATCH,
            &item,
            &user,
            Some(json!({"assignee_id": colleague})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["assignee_id"], colleague.as_str());
    let (_, filtered) = app
        .call(
            Method::GET,
            &format!("/tasks?assignee_id={colleague}"),
            &user,
            None,
        )
        .await;
    assert_eq!(filtered["meta"]["total"], 1, "{filtered}");
    // Deactivated, the colleague can no longer be assigned.
    let (status, _) = app
        .call(Method::DELETE, &format!("/users/{colleague}"), &admin, None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for assignee in [
        colleague.as_str(),
        stranger.as_str(),
        "01a21588-0000-7000-8000-000000000000",
    ] {
        let (status, body) = app
            .call(
                Method::PATCH,
                &item,
                &user,
                Some(json!({"assignee_id": assignee})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{assignee}: {body}");
        assert_error(&body, "validation_error", Some("assignee_id"));
    }
    let (status, body) = app
        .call(
            Method::PATCH,
            &item,
            &user,
            Some(json!({"assignee_id": me})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .call(
            Method::PATCH,
            &item,
            &user,
            Some(json!({"assignee_id": null})),
        )
        .await;
    assert_eq!(
        (status, body["data"]["assignee_id"].clone()),
        (StatusCode::OK, Value::Null)
    );
    let _ = workflow;
}

async fn tasks_default_and_filter_by_status_and_priority(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let user = app.demo_login("user").await;
    let (_, workflow, task) = tree(&app, &user).await;
    assert_eq!(
        (task["status"].clone(), task["priority"].clone()),
        (json!("todo"), json!("medium"))
    );
    assert_eq!(task["due_date"], Value::Null);
    let urgent = create(
        &app,
        &user,
        "/tasks",
        json!({"workflow_id": id(&workflow), "title": "Ship", "status": "in_progress", "priority": "high", "due_date": "2026-12-24"}),
    )
    .await;
    for (query, expected) in [
        ("status=todo", vec![id(&task)]),
        ("status=in_progress", vec![id(&urgent)]),
        ("priority=high", vec![id(&urgent)]),
        ("priority=low", vec![]),
        ("ordering=due_date", vec![id(&urgent), id(&task)]),
        ("ordering=-due_date", vec![id(&task), id(&urgent)]),
    ] {
        let (status, body) = app
            .call(Method::GET, &format!("/tasks?{query}"), &user, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        let ids: Vec<&str> = body["data"].as_array().unwrap().iter().map(id).collect();
        assert_eq!(ids, expected, "{query}");
    }
    let (_, by_workflow) = app
        .call(
            Method::GET,
            &format!("/tasks?workflow_id={}", id(&workflow)),
            &user,
            None,
        )
        .await;
    assert_eq!(by_workflow["meta"]["total"], 2);
    let (status, body) = app
        .call(Method::GET, "/tasks?status=later", &user, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "validation_error", Some("status"));
}

every_config!(
    the_user_role_sees_only_its_own,
    a_parent_the_caller_may_not_see_is_a_400,
    a_parent_with_children_cannot_be_deleted,
    an_assignee_is_an_active_user_of_the_tenant,
    tasks_default_and_filter_by_status_and_priority
);
