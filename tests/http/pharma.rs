//! Pharma's rules over HTTP, each test named after its rule: unique keys, country codes, date
//! order, inactive sites, the batch status machine and its release rule, frozen inspections,
//! and the QA and Operator roles of `castellan seed --demo --pharma`.

use castellan_application::SeedOptions;
use castellan_tests::{assert_error, Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// `method path` as `token`, expecting `expected`; returns the body.
async fn expect(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
    expected: StatusCode,
) -> Value {
    let (status, response) = app.call(method.clone(), path, token, body).await;
    assert_eq!(status, expected, "{method} {path}: {response}");
    response
}

/// Creates at `path`; returns the new object's id.
async fn create(app: &TestApp, token: &str, path: &str, body: Value) -> String {
    let created = expect(
        app,
        token,
        Method::POST,
        path,
        Some(body),
        StatusCode::CREATED,
    )
    .await;
    created["data"]["id"].as_str().unwrap().to_string()
}

async fn site(app: &TestApp, token: &str, code: &str) -> String {
    create(
        app,
        token,
        "/sites",
        json!({"code": code, "name": format!("Site {code}"), "country": "DE"}),
    )
    .await
}

fn batch_body(site: &str, lot: &str) -> Value {
    json!({
        "site_id": site,
        "product_code": "AMOX-500",
        "lot_number": lot,
        "manufactured_at": "2026-06-01T08:00:00Z",
        "expires_at": "2028-06-01T08:00:00Z",
    })
}

async fn batch(app: &TestApp, token: &str, site: &str, lot: &str) -> String {
    create(app, token, "/batches", batch_body(site, lot)).await
}

async fn inspect(app: &TestApp, token: &str, batch: &str, result: &str) -> String {
    create(
        app,
        token,
        "/inspections",
        json!({"batch_id": batch, "result": result}),
    )
    .await
}

/// Sets the batch's status: the response's status code and body.
async fn move_to(app: &TestApp, token: &str, batch: &str, status: &str) -> (StatusCode, Value) {
    app.call(
        Method::PATCH,
        &format!("/batches/{batch}"),
        token,
        Some(json!({"status": status})),
    )
    .await
}

async fn unique_keys_are_conflicts_on_their_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    let first = site(&app, &admin, "BER-01").await;
    let taken = expect(
        &app,
        &admin,
        Method::POST,
        "/sites",
        Some(json!({"code": "BER-01", "name": "Again", "country": "DE"})),
        StatusCode::CONFLICT,
    )
    .await;
    assert_error(&taken, "conflict", Some("code"));
    // Codes are unique per tenant: another tenant may use the same.
    let (_, other_admin) = app.tenant("Elsewhere").await;
    site(&app, &other_admin, "BER-01").await;

    // Lot numbers are unique per site.
    batch(&app, &admin, &first, "LOT-1").await;
    let taken = expect(
        &app,
        &admin,
        Method::POST,
        "/batches",
        Some(batch_body(&first, "LOT-1")),
        StatusCode::CONFLICT,
    )
    .await;
    assert_error(&taken, "conflict", Some("lot_number"));
    let second = site(&app, &admin, "LYS-02").await;
    let elsewhere = batch(&app, &admin, &second, "LOT-1").await;

    // Serial numbers are unique per tenant, across batches.
    let serial = json!({"batch_id": elsewhere, "serial_number": "SN-0001"});
    create(&app, &admin, "/serializations", serial.clone()).await;
    let taken = expect(
        &app,
        &admin,
        Method::POST,
        "/serializations",
        Some(serial),
        StatusCode::CONFLICT,
    )
    .await;
    assert_error(&taken, "conflict", Some("serial_number"));
}

async fn countries_are_assigned_iso_codes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    for wrong in ["de", "UK", "EU", "XK", "ZZ", "DEU", ""] {
        let refused = expect(
            &app,
            &admin,
            Method::POST,
            "/sites",
            Some(json!({"code": "S1", "name": "Plant", "country": wrong})),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_error(&refused, "validation_error", Some("country"));
    }
    let created = expect(
        &app,
        &admin,
        Method::POST,
        "/sites",
        Some(json!({"code": "S1", "name": "Plant", "country": "GB"})),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["data"]["is_active"], true, "active by default");
}

async fn a_batch_expires_after_it_is_made(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    let site = site(&app, &admin, "S1").await;
    for expires in ["2026-06-01T08:00:00Z", "2026-05-31T08:00:00Z"] {
        let mut body = batch_body(&site, "LOT-1");
        body["expires_at"] = json!(expires);
        let refused = expect(
            &app,
            &admin,
            Method::POST,
            "/batches",
            Some(body),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_error(&refused, "validation_error", Some("expires_at"));
    }
    let id = batch(&app, &admin, &site, "LOT-1").await;
    let refused = expect(
        &app,
        &admin,
        Method::PATCH,
        &format!("/batches/{id}"),
        Some(json!({"manufactured_at": "2029-01-01T00:00:00Z"})),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_error(&refused, "validation_error", Some("expires_at"));
}

async fn a_batch_is_created_planned(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    let site = site(&app, &admin, "S1").await;
    for status in ["released", "quarantined", "recalled"] {
        let mut body = batch_body(&site, "LOT-1");
        body["status"] = json!(status);
        let refused = expect(
            &app,
            &admin,
            Method::POST,
            "/batches",
            Some(body),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_error(&refused, "validation_error", Some("status"));
    }
    let mut body = batch_body(&site, "LOT-1");
    body["status"] = json!("planned");
    let created = expect(
        &app,
        &admin,
        Method::POST,
        "/batches",
        Some(body),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["data"]["status"], "planned");
}

async fn an_inactive_site_takes_no_new_batches(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    let site = site(&app, &admin, "S1").await;
    let existing = batch(&app, &admin, &site, "LOT-1").await;
    assert!(!site_active(&app, &admin, &site, false).await);
    let refused = expect(
        &app,
        &admin,
        Method::POST,
        "/batches",
        Some(batch_body(&site, "LOT-2")),
        StatusCode::CONFLICT,
    )
    .await;
    assert_error(&refused, "conflict", Some("site_id"));
    // Moving a batch there is refused too; the site's existing batches still move (a
    // recall must always be possible).
    let other = self::site(&app, &admin, "S2").await;
    let movable = batch(&app, &admin, &other, "LOT-3").await;
    let refused = expect(
        &app,
        &admin,
        Method::PATCH,
        &format!("/batches/{movable}"),
        Some(json!({"site_id": site})),
        StatusCode::CONFLICT,
    )
    .await;
    assert_error(&refused, "conflict", Some("site_id"));
    let (status, body) = move_to(&app, &admin, &existing, "recalled").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    site_active(&app, &admin, &site, true).await;
    batch(&app, &admin, &site, "LOT-2").await;
}

/// Sets the site's `is_active`; returns it as stored.
async fn site_active(app: &TestApp, token: &str, site: &str, active: bool) -> bool {
    let updated = expect(
        app,
        token,
        Method::PATCH,
        &format!("/sites/{site}"),
        Some(json!({"is_active": active})),
        StatusCode::OK,
    )
    .await;
    updated["data"]["is_active"].as_bool().unwrap()
}

async fn release_needs_a_passing_inspection(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    let site = site(&app, &admin, "S1").await;
    let id = batch(&app, &admin, &site, "LOT-1").await;
    let (status, refused) = move_to(&app, &admin, &id, "released").await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_error(&refused, "conflict", Some("status"));
    for result in ["fail", "conditional"] {
        inspect(&app, &admin, &id, result).await;
        let (status, _) = move_to(&app, &admin, &id, "released").await;
        assert_eq!(status, StatusCode::CONFLICT, "after a {result} inspection");
    }
    // A passing inspection of another batch does not count.
    let other = batch(&app, &admin, &site, "LOT-2").await;
    inspect(&app, &admin, &other, "pass").await;
    let (status, _) = move_to(&app, &admin, &id, "released").await;
    assert_eq!(status, StatusCode::CONFLICT);
    inspect(&app, &admin, &id, "pass").await;
    let (status, released) = move_to(&app, &admin, &id, "released").await;
    assert_eq!(status, StatusCode::OK, "{released}");
    assert_eq!(released["data"]["status"], "released");
}

async fn the_batch_status_machine(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    let site = site(&app, &admin, "S1").await;
    let id = batch(&app, &admin, &site, "LOT-1").await;
    inspect(&app, &admin, &id, "pass").await;
    // (to, expected) in order, from planned.
    for (to, expected) in [
        ("quarantined", StatusCode::CONFLICT),
        ("planned", StatusCode::OK), // keeping the status is no transition
        ("released", StatusCode::OK),
        ("planned", StatusCode::CONFLICT),
        ("released", StatusCode::OK),
        ("quarantined", StatusCode::OK),
        ("planned", StatusCode::CONFLICT),
        ("released", StatusCode::OK),
        ("quarantined", StatusCode::OK),
        ("recalled", StatusCode::OK),
        ("released", StatusCode::CONFLICT),
        ("quarantined", StatusCode::CONFLICT),
        ("planned", StatusCode::CONFLICT),
        ("recalled", StatusCode::OK),
    ] {
        let (status, body) = move_to(&app, &admin, &id, to).await;
        assert_eq!(status, expected, "→ {to}: {body}");
        if status == StatusCode::CONFLICT {
            assert_error(&body, "conflict", Some("status"));
        }
    }
    // PUT goes through the same machine.
    let mut body = batch_body(&site, "LOT-1");
    body["status"] = json!("planned");
    let refused = expect(
        &app,
        &admin,
        Method::PUT,
        &format!("/batches/{id}"),
        Some(body),
        StatusCode::CONFLICT,
    )
    .await;
    assert_error(&refused, "conflict", Some("status"));
}

async fn inspections_of_a_released_batch_are_frozen(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    let site = site(&app, &admin, "S1").await;
    let id = batch(&app, &admin, &site, "LOT-1").await;
    let passed = inspect(&app, &admin, &id, "pass").await;
    let path = format!("/inspections/{passed}");
    expect(
        &app,
        &admin,
        Method::PATCH,
        &path,
        Some(json!({"notes": "before release"})),
        StatusCode::OK,
    )
    .await;
    let (status, _) = move_to(&app, &admin, &id, "released").await;
    assert_eq!(status, StatusCode::OK);
    for (method, body) in [
        (Method::PATCH, Some(json!({"notes": "after release"}))),
        (Method::PATCH, Some(json!({"result": "fail"}))),
        (Method::DELETE, None),
    ] {
        let refused = expect(&app, &admin, method, &path, body, StatusCode::CONFLICT).await;
        assert_error(&refused, "conflict", Some("batch_id"));
    }
    // Moving another batch's inspection onto the released batch is a change of it too.
    let other = batch(&app, &admin, &site, "LOT-2").await;
    let elsewhere = inspect(&app, &admin, &other, "fail").await;
    expect(
        &app,
        &admin,
        Method::PATCH,
        &format!("/inspections/{elsewhere}"),
        Some(json!({"batch_id": id})),
        StatusCode::CONFLICT,
    )
    .await;
    // Recording a new inspection of a released batch is allowed; once quarantined, its
    // inspections may change again.
    inspect(&app, &admin, &id, "fail").await;
    let (status, _) = move_to(&app, &admin, &id, "quarantined").await;
    assert_eq!(status, StatusCode::OK);
    expect(
        &app,
        &admin,
        Method::PATCH,
        &path,
        Some(json!({"notes": "reviewed in quarantine"})),
        StatusCode::OK,
    )
    .await;
}

/// Each demo account's status for `method path` (QA, Operator).
async fn both(
    app: &TestApp,
    (qa, operator): (&str, &str),
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, StatusCode) {
    let qa = app.call(method.clone(), path, qa, body.clone()).await.0;
    let operator = app.call(method, path, operator, body).await.0;
    (qa, operator)
}

async fn qa_and_operator_have_exactly_their_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let report = app
        .seed(SeedOptions {
            reset: false,
            pharma: true,
        })
        .await;
    assert_eq!(
        report.objects_created,
        vec![
            ("sites", 2),
            ("batches", 5),
            ("serializations", 50),
            ("inspections", 5)
        ]
    );
    let qa = app.login("qa@example.com", "qapass").await.access;
    let operator = app
        .login("operator@example.com", "operatorpass")
        .await
        .access;
    let admin = app.demo_login("admin").await;
    let tokens = (qa.as_str(), operator.as_str());
    use StatusCode as S;

    // Reads: QA everything; the operator sites and batches, and only its own serial numbers.
    for (path, expected) in [
        ("/sites", (S::OK, S::OK)),
        ("/batches", (S::OK, S::OK)),
        ("/serializations", (S::OK, S::OK)),
        ("/inspections", (S::OK, S::FORBIDDEN)),
    ] {
        assert_eq!(
            both(&app, tokens, Method::GET, path, None).await,
            expected,
            "{path}"
        );
    }
    let (_, sites) = app.call(Method::GET, "/sites", &qa, None).await;
    assert_eq!(sites["meta"]["total"], 2);
    let site = sites["data"][0]["id"].as_str().unwrap().to_string();
    let (_, batches) = app
        .call(Method::GET, "/batches?status=planned", &operator, None)
        .await;
    assert_eq!(batches["meta"]["total"], 2, "{batches}");
    let planned = batches["data"][0]["id"].as_str().unwrap().to_string();
    let admins_unit = create(
        &app,
        &admin,
        "/serializations",
        json!({"batch_id": planned, "serial_number": "SN-ADMIN-1"}),
    )
    .await;
    let unit_path = format!("/serializations/{admins_unit}");
    assert_eq!(
        both(&app, tokens, Method::GET, &unit_path, None).await,
        (S::OK, S::NOT_FOUND),
        "read-own: another's serial number is not there for the operator"
    );
    let (_, units) = app
        .call(Method::GET, "/serializations", &operator, None)
        .await;
    assert_eq!(units["meta"]["total"], 50, "the operator's own");
    let (_, units) = app.call(Method::GET, "/serializations", &qa, None).await;
    assert_eq!(units["meta"]["total"], 51, "all");

    // Sites: read only, for both.
    let site_path = format!("/sites/{site}");
    for (method, body) in [
        (
            Method::POST,
            Some(json!({"code": "X1", "name": "X", "country": "DE"})),
        ),
        (Method::PATCH, Some(json!({"name": "Renamed"}))),
        (Method::DELETE, None),
    ] {
        let path = if method == Method::POST {
            "/sites"
        } else {
            &site_path
        };
        assert_eq!(
            both(&app, tokens, method.clone(), path, body).await,
            (S::FORBIDDEN, S::FORBIDDEN),
            "{method} site"
        );
    }

    // Batches: the operator creates, QA updates; nobody but the admin deletes.
    let (status, _) = app
        .call(
            Method::POST,
            "/batches",
            &qa,
            Some(batch_body(&site, "LOT-QA")),
        )
        .await;
    assert_eq!(status, S::FORBIDDEN);
    let made = create(&app, &operator, "/batches", batch_body(&site, "LOT-OP")).await;
    let made_path = format!("/batches/{made}");
    let (status, _) = app
        .call(
            Method::PATCH,
            &made_path,
            &operator,
            Some(json!({"product_code": "IBU-200"})),
        )
        .await;
    assert_eq!(status, S::FORBIDDEN, "the operator has no update rule");
    let (status, body) = app
        .call(
            Method::PATCH,
            &made_path,
            &qa,
            Some(json!({"product_code": "IBU-200"})),
        )
        .await;
    assert_eq!(status, S::OK, "{body}");
    assert_eq!(
        both(&app, tokens, Method::DELETE, &made_path, None).await,
        (S::FORBIDDEN, S::FORBIDDEN)
    );

    // Inspections: QA creates and updates anyone's; the operator nothing.
    let body = json!({"batch_id": made, "result": "pass"});
    let (status, _) = app
        .call(Method::POST, "/inspections", &operator, Some(body.clone()))
        .await;
    assert_eq!(status, S::FORBIDDEN);
    let inspection = create(&app, &qa, "/inspections", body).await;
    let admins_inspection = inspect(&app, &admin, &made, "conditional").await;
    for id in [&inspection, &admins_inspection] {
        let path = format!("/inspections/{id}");
        let (status, body) = app
            .call(Method::PATCH, &path, &qa, Some(json!({"notes": "checked"})))
            .await;
        assert_eq!(status, S::OK, "{body}");
        assert_eq!(
            both(&app, tokens, Method::DELETE, &path, None).await,
            (S::FORBIDDEN, S::FORBIDDEN)
        );
    }
    // QA releases the batch its passing inspection covers.
    let (status, body) = move_to(&app, &qa, &made, "released").await;
    assert_eq!(status, S::OK, "{body}");

    // Serial numbers: the operator creates (and reads its own); QA only reads.
    let unit = json!({"batch_id": made, "serial_number": "SN-OP-1"});
    let (status, _) = app
        .call(Method::POST, "/serializations", &qa, Some(unit.clone()))
        .await;
    assert_eq!(status, S::FORBIDDEN);
    let own = create(&app, &operator, "/serializations", unit).await;
    let own_path = format!("/serializations/{own}");
    assert_eq!(
        both(&app, tokens, Method::GET, &own_path, None).await,
        (S::OK, S::OK)
    );
    assert_eq!(
        both(
            &app,
            tokens,
            Method::PATCH,
            &own_path,
            Some(json!({"status": "packed"}))
        )
        .await,
        (S::FORBIDDEN, S::FORBIDDEN)
    );
}

async fn the_pharma_seed_is_idempotent_and_resets(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let pharma = SeedOptions {
        reset: false,
        pharma: true,
    };
    let first = app.seed(pharma).await;
    assert_eq!((first.users_created, first.roles_created), (5, 2));
    let emails: Vec<&str> = first.logins.iter().map(|(email, ..)| *email).collect();
    assert_eq!(
        emails,
        [
            "admin@example.com",
            "user@example.com",
            "guest@example.com",
            "qa@example.com",
            "operator@example.com"
        ]
    );
    let again = app.seed(pharma).await;
    assert_eq!(
        (
            again.users_created,
            again.roles_created,
            again.objects_created.clone()
        ),
        (0, 0, vec![])
    );
    let admin = app.demo_login("admin").await;
    let (_, roles) = app
        .call(Method::GET, "/roles?search=QA", &admin, None)
        .await;
    assert_eq!(roles["meta"]["total"], 1, "{roles}");
    let reset = app
        .seed(SeedOptions {
            reset: true,
            pharma: true,
        })
        .await;
    // 62 objects, 5 users, 2 roles, 4 articles.
    assert_eq!(reset.removed, 62 + 5 + 2 + 4);
    assert_eq!(reset.objects_created, first.objects_created);
    // A plain reset (without --pharma) removes the Pharma data too: the admin owns sites.
    let plain = app.seed_demo_with(true).await;
    assert_eq!(plain.removed, 62 + 5 + 2 + 4);
    let admin = app.demo_login("admin").await;
    let (_, sites) = app.call(Method::GET, "/sites", &admin, None).await;
    assert_eq!(sites["meta"]["total"], 0);
}

every_config!(
    unique_keys_are_conflicts_on_their_field,
    countries_are_assigned_iso_codes,
    a_batch_expires_after_it_is_made,
    a_batch_is_created_planned,
    an_inactive_site_takes_no_new_batches,
    release_needs_a_passing_inspection,
    the_batch_status_machine,
    inspections_of_a_released_batch_are_frozen,
    qa_and_operator_have_exactly_their_rules,
    the_pharma_seed_is_idempotent_and_resets,
);
