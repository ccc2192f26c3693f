//! Articles under the demo seed's roles: the access-rule semantics end to end.

use castellan_tests::{assert_error, read, Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn list(app: &TestApp, token: &str, query: &str) -> (StatusCode, Value) {
    read(
        app.api(Method::GET, &format!("/articles{query}"), Some(token))
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn titles(body: &Value) -> Vec<String> {
    let mut titles: Vec<String> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_string())
        .collect();
    titles.sort();
    titles
}

async fn id_of(app: &TestApp, admin: &str, title: &str) -> String {
    let (_, body) = list(
        app,
        admin,
        &format!("?search={}", title.replace(' ', "%20")),
    )
    .await;
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == title)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn demo_matrix(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    app.seed_demo().await; // idempotent
    let admin = app.demo_login("admin").await;
    let user = app.demo_login("user").await;
    let guest = app.demo_login("guest").await;

    // Lists: admin and guest see all four, the user only its own two.
    let (status, body) = list(&app, &admin, "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["meta"], json!({"page": 1, "per_page": 50, "total": 4}));
    assert_eq!(list(&app, &guest, "").await.1["meta"]["total"], 4);
    let (_, body) = list(&app, &user, "").await;
    assert_eq!(titles(&body), vec!["User Article 1", "User Article 2"]);

    let admin_article = id_of(&app, &admin, "Admin Article 1").await;
    let user_article = id_of(&app, &admin, "User Article 1").await;
    let path = |id: &str| format!("/articles/{id}");

    // The user: 404 on the admin's article whatever the verb; its own are fine.
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"title": "x"}))),
        (Method::PUT, Some(json!({"title": "x"}))),
        (Method::DELETE, None),
    ] {
        let (status, response) = app
            .call(method.clone(), &path(&admin_article), &user, body)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {response}");
        assert_error(&response, "not_found", None);
    }
    let (status, body) = app
        .call(Method::GET, &path(&user_article), &user, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .call(
            Method::PATCH,
            &path(&user_article),
            &user,
            Some(json!({"content": "edited"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["content"], "edited");
    assert_eq!(body["data"]["title"], "User Article 1");
    let (status, created) = app
        .call(
            Method::POST,
            "/articles",
            &user,
            Some(json!({"title": "Mine", "content": "c"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let mine = created["data"]["id"].as_str().unwrap().to_string();
    let (status, _) = app.call(Method::DELETE, &path(&mine), &user, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.call(Method::GET, &path(&mine), &user, None).await.0,
        StatusCode::NOT_FOUND
    );

    // The guest reads everything, changes nothing: 403 on visible objects.
    assert_eq!(
        app.call(Method::GET, &path(&admin_article), &guest, None)
            .await
            .0,
        StatusCode::OK
    );
    let (status, body) = app
        .call(
            Method::POST,
            "/articles",
            &guest,
            Some(json!({"title": "No"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&body, "forbidden", None);
    for method in [Method::PATCH, Method::PUT, Method::DELETE] {
        let body = (method != Method::DELETE).then(|| json!({"title": "No"}));
        let (status, response) = app
            .call(method.clone(), &path(&user_article), &guest, body)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {response}");
    }

    // The admin (superuser) does everything, to anyone's article.
    let (status, body) = app
        .call(
            Method::PUT,
            &path(&user_article),
            &admin,
            Some(json!({"title": "Renamed", "content": "by admin"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        app.call(Method::DELETE, &path(&user_article), &admin, None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (status, body) = app
        .call(
            Method::POST,
            "/articles",
            &admin,
            Some(json!({"title": "Admin new"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn lists_filter_search_order_and_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    let (_, me) = read(
        app.api(Method::GET, "/auth/me", Some(&admin))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let admin_id = me["data"]["id"].as_str().unwrap().to_string();

    let (_, body) = list(&app, &admin, &format!("?owner_id={admin_id}")).await;
    assert_eq!(titles(&body), vec!["Admin Article 1", "Admin Article 2"]);
    let (_, body) = list(&app, &admin, "?search=USER%20article").await;
    assert_eq!(body["meta"]["total"], 2);
    let (_, body) = list(&app, &admin, "?search=100%25").await;
    assert_eq!(body["meta"]["total"], 0, "% is a literal, not a wildcard");
    let (_, body) = list(&app, &admin, "?ordering=title").await;
    let ordered: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        ordered,
        vec![
            "Admin Article 1",
            "Admin Article 2",
            "User Article 1",
            "User Article 2"
        ]
    );
    let (_, body) = list(&app, &admin, "?ordering=-title&page=2&per_page=3").await;
    assert_eq!(body["meta"], json!({"page": 2, "per_page": 3, "total": 4}));
    assert_eq!(body["data"][0]["title"], "Admin Article 1");
    let (status, body) = list(&app, &admin, "?page=9").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"], json!([]));
    for (query, field) in [
        ("?ordering=content", "ordering"),
        ("?per_page=500", "per_page"),
        ("?page=0", "page"),
        ("?owner_id=nope", "owner_id"),
    ] {
        let (status, body) = list(&app, &admin, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_error(&body, "validation_error", Some(field));
    }
}

async fn bodies_are_validated_after_access(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.seed_demo().await;
    let user = app.demo_login("user").await;
    for (body, field) in [
        (json!({"title": ""}), "title"),
        (json!({"title": "x".repeat(201)}), "title"),
        (
            json!({"title": "ok", "content": "x".repeat(50_001)}),
            "content",
        ),
        (
            json!({"title": "ok", "owner_id": uuid::Uuid::now_v7()}),
            "owner_id",
        ),
        (
            json!({"title": "ok", "tenant_id": uuid::Uuid::now_v7()}),
            "tenant_id",
        ),
    ] {
        let (status, response) = app.call(Method::POST, "/articles", &user, Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{response}");
        assert_error(&response, "validation_error", Some(field));
    }
    // Unauthenticated comes before a malformed body.
    let res = app
        .api(Method::POST, "/articles", None)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app
        .api(Method::GET, "/articles", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // A guest's malformed body still meets the 403 first.
    let guest = app.demo_login("guest").await;
    let res = app
        .api(Method::POST, "/articles", Some(&guest))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

async fn demo_seed_is_idempotent_and_resets(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.seed_demo_with(false).await;
    assert_eq!(
        (first.users_created, first.articles_created, first.removed),
        (3, 4, 0)
    );
    let again = app.seed_demo_with(false).await;
    assert_eq!((again.users_created, again.articles_created), (0, 0));
    // Damage the demo data, and add a non-demo user the reset must leave alone.
    let admin = app.demo_login("admin").await;
    let (_, all) = app.call(Method::GET, "/articles", &admin, None).await;
    let victim = all["data"][0]["id"].as_str().unwrap().to_string();
    app.call(Method::DELETE, &format!("/articles/{victim}"), &admin, None)
        .await;
    let (bystander, _) = app.user().await;
    let reset = app.seed_demo_with(true).await;
    assert_eq!(
        (reset.users_created, reset.articles_created, reset.removed),
        (3, 4, 3 + 3)
    );
    let admin = app.demo_login("admin").await;
    assert_eq!(
        app.call(Method::GET, "/articles", &admin, None).await.1["meta"]["total"],
        4
    );
    app.login(&bystander, castellan_tests::PASSWORD).await;
    // The reset is in the audit trail: the system removed the three demo users.
    let (_, purged) = app
        .call(
            Method::GET,
            "/audit-logs?action=user.delete&per_page=200",
            &admin,
            None,
        )
        .await;
    let purged: Vec<&serde_json::Value> = purged["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor_type"] == "system" && e["metadata"]["purged"] == true)
        .collect();
    assert_eq!(purged.len(), 3, "{purged:#?}");
}

async fn title_order_is_by_code_point_on_every_database(backend: Backend) {
    // A PostgreSQL database whose locale sorts case-insensitively ("apple" < "Banana"):
    // ordering must still be the same as on SQLite.
    let database_url = match backend.is_postgres() {
        true => Some(
            castellan_tests::fresh_database_with(
                "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'",
            )
            .await,
        ),
        false => None,
    };
    let app = TestApp::spawn_with(castellan_tests::Options {
        backend,
        database_url,
        ..Default::default()
    })
    .await;
    app.seed_demo().await;
    let admin = app.demo_login("admin").await;
    for title in ["cherry", "apple", "Banana", "Äpfel"] {
        let body = json!({"title": format!("zz {title}")});
        app.call(Method::POST, "/articles", &admin, Some(body))
            .await;
    }
    let (_, body) = list(&app, &admin, "?search=zz&ordering=title").await;
    let titles: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["zz Banana", "zz apple", "zz cherry", "zz Äpfel"]);
}

every_config!(
    title_order_is_by_code_point_on_every_database,
    demo_seed_is_idempotent_and_resets,
    demo_matrix,
    lists_filter_search_order_and_page,
    bodies_are_validated_after_access
);
