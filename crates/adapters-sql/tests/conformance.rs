//! The conformance suites of every port this crate implements, each run against a real
//! SQLite file and a real PostgreSQL database (a fresh one per test, under row-level
//! security as the application runs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use castellan_adapters_sql::postgres::{self, PgConfig, APP_ROLE};
use castellan_adapters_sql::sqlite::{self, SqliteConfig};
use castellan_adapters_sql::{
    AccessStore, AuditStore, CredentialStore, Db, InvitationStore, OutboxStore, ResourceStore,
    RevocationStore, RoleStore, SessionStore, TenantStore, UserStore,
};
use castellan_domain::resources::ALL;
use castellan_testkit::{access, audit, credentials, repos, resources, token_store};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::sync::Arc;
use std::time::Duration;

fn admin_url() -> String {
    std::env::var("CASTELLAN_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Creates and migrates a throwaway PostgreSQL database; returns its URL (as the admin
/// login role).
async fn fresh_postgres_url() -> String {
    let admin = admin_url();
    let name = format!("castellan_ct_{}", uuid::Uuid::new_v4().simple());
    let mut conn = AsyncPgConnection::establish(&admin).await.unwrap();
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').unwrap().0;
    let url = format!("{base}/{name}");
    postgres::run_migrations(&url).await.unwrap();
    url
}

/// A pool on `url` that works as the application does: under row-level security.
fn postgres_pool(url: &str) -> Db {
    Db::postgres(&PgConfig {
        url: url.to_string(),
        max_connections: 4,
        lanes: 1,
        timeout: Duration::from_secs(2),
        app_role: Some(APP_ROLE.into()),
    })
    .unwrap()
}

/// A pool per lane: an HTTP worker's connections do their I/O on the worker's thread.
#[tokio::test]
async fn each_lane_opens_its_own_connections() {
    use castellan_ports::UserRepository;
    let db = Db::postgres(&PgConfig {
        url: fresh_postgres_url().await,
        max_connections: 6,
        lanes: 3,
        timeout: Duration::from_secs(2),
        app_role: Some(APP_ROLE.into()),
    })
    .unwrap();
    let users = UserStore::new(db.clone());
    // Its threads block: off this test's runtime.
    tokio::task::spawn_blocking(move || {
        castellan_testkit::lanes::each_lane_opens_its_own(
            move || {
                let users = users.clone();
                async move { users.ping().await.unwrap() }
            },
            || {
                let usage = db.usage();
                usage.idle + usage.busy
            },
        )
    })
    .await
    .unwrap();
}

/// A SQLite connection outlives the runtime (an HTTP worker's) that opened it: its
/// statements go to the blocking pool of whichever runtime runs them, so the pool's
/// connections keep working for everyone else after that worker stops.
#[test]
fn sqlite_connections_outlive_the_runtime_that_opened_them() {
    use castellan_ports::UserRepository;
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    let first = runtime();
    let fresh = first.block_on(Fresh::sqlite());
    let users = UserStore::new(fresh.db.clone());
    first.block_on(users.ping()).unwrap();
    drop(first);
    runtime().block_on(users.ping()).unwrap();
}

/// A freshly migrated database of one backend (a SQLite file lives as long as this).
struct Fresh {
    db: Db,
    /// PostgreSQL: the database's URL; SQLite: the file's path.
    location: String,
    _dir: Option<tempfile::TempDir>,
}

impl Fresh {
    async fn postgres() -> Fresh {
        let url = fresh_postgres_url().await;
        Fresh {
            db: postgres_pool(&url),
            location: url,
            _dir: None,
        }
    }

    async fn sqlite() -> Fresh {
        let dir = tempfile::tempdir().unwrap();
        let path = format!("{}/nested/castellan.db", dir.path().display());
        let config = SqliteConfig {
            url: format!("sqlite://{path}"),
            max_connections: 4,
            timeout: Duration::from_secs(5),
        };
        sqlite::run_migrations(&config).await.unwrap();
        Fresh {
            db: Db::sqlite(&config).unwrap(),
            location: path,
            _dir: Some(dir),
        }
    }
}

impl Fresh {
    /// A second pool on the same database: another replica.
    fn another_pool(&self) -> Db {
        match self.db.is_postgres() {
            true => postgres_pool(&self.location),
            false => Db::sqlite(&SqliteConfig {
                url: format!("sqlite://{}", self.location),
                max_connections: 4,
                timeout: Duration::from_secs(5),
            })
            .unwrap(),
        }
    }
}

/// Two replicas on one database (one pool each) append to one audit chain.
mod replicas_share_a_chain {
    use super::*;

    async fn run(fresh: Fresh) {
        let other = fresh.another_pool();
        audit::replicas_share_a_chain(
            Arc::new(AuditStore::new(fresh.db.clone())),
            Arc::new(AuditStore::new(other)),
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite() {
        run(Fresh::sqlite().await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn postgres() {
        run(Fresh::postgres().await).await;
    }
}

/// Expands `name => |db| body;` into `name::sqlite` and `name::postgres`, each running
/// `body` with `db` a fresh database of that backend.
macro_rules! on_both_backends {
    ($($name:ident => |$db:ident| $body:expr;)*) => {$(
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let fresh = Fresh::sqlite().await;
                let $db = fresh.db.clone();
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let fresh = Fresh::postgres().await;
                let $db = fresh.db.clone();
                $body
            }
        }
    )*};
}

on_both_backends! {
    credentials_round_trip => |db| credentials::credentials_round_trip(
        &CredentialStore::new(db.clone()),
        &UserStore::new(db),
    ).await;
    stale_keys_and_conditional_rewrap => |db| credentials::stale_keys_and_conditional_rewrap(
        &CredentialStore::new(db.clone()),
        &UserStore::new(db),
    ).await;
    users_round_trip => |db| repos::users_round_trip(&UserStore::new(db)).await;
    duplicate_email_conflicts => |db| repos::duplicate_email_conflicts(&UserStore::new(db)).await;
    user_updates => |db| repos::user_updates(&UserStore::new(db)).await;
    refresh_rotation_and_reuse => |db| repos::refresh_rotation_and_reuse(
        &UserStore::new(db.clone()),
        &SessionStore::new(db),
    ).await;
    session_listing_and_revoke_all => |db| repos::session_listing_and_revoke_all(
        &UserStore::new(db.clone()),
        &SessionStore::new(db),
    ).await;
    revocation_log_is_a_token_store => |db| {
        let store = RevocationStore::new(db);
        token_store::revoked_access_tokens_are_reported(&store).await;
        token_store::revoked_sessions_are_reported(&store).await;
        token_store::entries_expire_after_their_ttl(&store).await;
    };
    catalog_and_rules_for_user => |db| access::catalog_and_rules_for_user(
        &UserStore::new(db.clone()),
        &AccessStore::new(db),
    ).await;
    every_resource_crud_and_listing => |db| for def in ALL {
        resources::crud_and_listing(&UserStore::new(db.clone()), &ResourceStore::new(db.clone()), def).await;
    };
    roles_rules_and_grants => |db| access::roles_rules_and_grants(
        &UserStore::new(db.clone()),
        &RoleStore::new(db),
    ).await;
    tenant_bootstrap_is_atomic => |db| access::tenant_bootstrap_is_atomic(
        &UserStore::new(db.clone()),
        &TenantStore::new(db),
    ).await;
    invitations_are_single_use => |db| access::invitations_are_single_use(
        &UserStore::new(db.clone()),
        &InvitationStore::new(db),
    ).await;
    outbox_keeps_messages => |db| access::outbox_keeps_messages(
        &OutboxStore::new(db.clone()),
        &OutboxStore::new(db),
    ).await;
    audit_chains_are_linked_per_tenant => |db| audit::chains_are_linked_per_tenant(
        &AuditStore::new(db),
    ).await;
    audit_list_filters_and_pages => |db| audit::list_filters_and_pages(&AuditStore::new(db)).await;
    audited_writes_are_atomic => |db| audit::audited_writes_are_atomic(
        &UserStore::new(db.clone()),
        &ResourceStore::new(db.clone()),
        &AuditStore::new(db),
    ).await;
    session_writes_are_audited => |db| audit::session_writes_are_audited(
        &UserStore::new(db.clone()),
        &SessionStore::new(db.clone()),
        &AuditStore::new(db),
    ).await;
    concurrent_appends_stay_gapless => |db| audit::concurrent_appends_stay_gapless(
        Arc::new(AuditStore::new(db)),
    ).await;
}

/// Every connection proves, as it opens, that the database seals audit entries as
/// Castellan does: a database whose `sha256` is another function (a `public.sha256` ahead
/// of `pg_catalog` in its search path) is refused with that said, and nothing is appended.
#[tokio::test]
async fn a_database_that_seals_differently_is_refused() {
    use castellan_ports::{AuditLog, UserRepository};
    let url = fresh_postgres_url().await;
    let name = url.rsplit_once('/').unwrap().1.to_string();
    let mut admin = AsyncPgConnection::establish(&url).await.unwrap();
    let (before, _) = audit::head(&AuditStore::new(postgres_pool(&url)), None).await;
    diesel::sql_query(
        "CREATE FUNCTION public.sha256(bytea) RETURNS bytea LANGUAGE sql IMMUTABLE \
         AS $$ SELECT pg_catalog.sha256($1 || '\\x00'::bytea) $$",
    )
    .execute(&mut admin)
    .await
    .unwrap();
    diesel::sql_query(format!(
        "ALTER DATABASE {name} SET search_path = public, pg_catalog"
    ))
    .execute(&mut admin)
    .await
    .unwrap();

    let refused = postgres_pool(&url);
    let err = UserStore::new(refused.clone()).ping().await.unwrap_err();
    match err {
        castellan_ports::RepoError::Unavailable(message) => assert!(
            message.contains("seals audit entries differently from Castellan"),
            "{message}"
        ),
        other => panic!("expected the connection refused, got {other:?}"),
    }
    let entry = castellan_domain::audit::Event::new(
        "test.append",
        castellan_domain::audit::Actor::anonymous(),
        None,
        chrono::Utc::now(),
    );
    assert!(AuditStore::new(refused).append(&entry).await.is_err());

    // Put back, the same database is served again, its chain where it was.
    diesel::sql_query("DROP FUNCTION public.sha256(bytea)")
        .execute(&mut admin)
        .await
        .unwrap();
    let log = AuditStore::new(postgres_pool(&url));
    assert_eq!(audit::head(&log, None).await.0, before);
    log.append(&entry).await.unwrap();
    assert_eq!(
        audit::verified_chain(&log, None).await.len() as i64,
        before + 1
    );
}

/// A PostgreSQL pool on a port nothing listens on.
fn unreachable_postgres() -> Db {
    Db::postgres(&PgConfig {
        url: format!(
            "postgres://postgres@127.0.0.1:{}/none",
            castellan_testkit::free_port()
        ),
        max_connections: 2,
        lanes: 1,
        timeout: Duration::from_secs(1),
        app_role: None,
    })
    .unwrap()
}

#[tokio::test]
async fn an_unreachable_database_is_unavailable() {
    let started = std::time::Instant::now();
    let err = castellan_ports::UserRepository::ping(&UserStore::new(unreachable_postgres()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, castellan_ports::RepoError::Unavailable(_)),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn an_unreachable_token_store_fails_closed_quickly() {
    token_store::unreachable_store_fails_closed(&RevocationStore::new(unreachable_postgres()))
        .await;
}

/// The audit trail's triggers, which are per backend.
mod append_only {
    use super::Fresh;
    use castellan_adapters_sql::postgres::APP_ROLE;
    use castellan_adapters_sql::AuditStore;
    use castellan_domain::audit::Entry;
    use castellan_ports::AuditLog;
    use castellan_testkit::audit::{event, verification, verified_chain};
    use uuid::Uuid;

    /// Two entries in a new tenant's chain.
    async fn two_entries(log: &AuditStore) -> (Option<Uuid>, Vec<Entry>) {
        let tenant = Some(Uuid::now_v7());
        let first = log
            .append(&event("article.create", tenant).target("article", 1))
            .await
            .unwrap();
        let second = log.append(&event("article.delete", tenant)).await.unwrap();
        (tenant, vec![first, second])
    }

    /// What the chain shows once someone past the triggers has edited entry 1, restored it,
    /// then removed entry 2: `run` executes raw SQL behind the application's back.
    async fn tampering_shows<F, Fut>(log: &AuditStore, tenant: Option<Uuid>, run: F)
    where
        F: Fn(&'static str) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        run("UPDATE audit_logs SET action = 'article.read' WHERE seq = 1").await;
        let broken = verification(log, tenant).await;
        assert_eq!(broken.first_invalid_seq, Some(1), "{broken:?}");
        run("UPDATE audit_logs SET action = 'article.create' WHERE seq = 1").await;
        assert!(verification(log, tenant).await.valid, "restored");
        run("DELETE FROM audit_logs WHERE seq = 2").await;
        let truncated = verification(log, tenant).await;
        assert_eq!(truncated.first_invalid_seq, Some(2), "{truncated:?}");
    }

    /// The trigger refuses to change or remove an entry even to the login role that owns
    /// the tables (a superuser, to whom neither grants nor row-level security apply); the
    /// application's role lacks the grants as well. With the trigger disabled, the chain
    /// shows what was done.
    #[tokio::test]
    async fn postgres() {
        use diesel_async::SimpleAsyncConnection;
        use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
        let fresh = Fresh::postgres().await;
        let log = AuditStore::new(fresh.db.clone());
        let (tenant, entries) = two_entries(&log).await;
        let url = fresh.location.clone();
        let mut owner = AsyncPgConnection::establish(&url).await.unwrap();
        for sql in [
            "UPDATE audit_logs SET action = 'x'",
            "DELETE FROM audit_logs",
            "DELETE FROM audit_logs WHERE seq = 2",
            "TRUNCATE audit_logs",
        ] {
            let err = diesel::sql_query(sql)
                .execute(&mut owner)
                .await
                .unwrap_err();
            assert!(err.to_string().contains("append-only"), "{sql}: {err}");
        }
        let mut app = AsyncPgConnection::establish(&url).await.unwrap();
        app.batch_execute(&format!(
            "SET ROLE {APP_ROLE}; SELECT set_config('app.tenant_id', '*', false)"
        ))
        .await
        .unwrap();
        for sql in [
            "UPDATE audit_logs SET action = 'x'",
            "DELETE FROM audit_logs",
        ] {
            let err = diesel::sql_query(sql).execute(&mut app).await.unwrap_err();
            assert!(
                err.to_string().contains("permission denied"),
                "{sql}: {err}"
            );
        }
        assert_eq!(verified_chain(&log, tenant).await, entries);
        owner
            .batch_execute("ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_append_only")
            .await
            .unwrap();
        tampering_shows(&log, tenant, |sql| {
            let url = url.clone();
            async move {
                let mut owner = AsyncPgConnection::establish(&url).await.unwrap();
                owner.batch_execute(sql).await.unwrap();
            }
        })
        .await;
    }

    /// The triggers refuse to change or remove an entry, even on a raw connection; and
    /// with them dropped, the chain shows what was done.
    #[tokio::test]
    async fn sqlite() {
        use diesel::connection::SimpleConnection;
        use diesel::{Connection, SqliteConnection};
        let fresh = Fresh::sqlite().await;
        let log = AuditStore::new(fresh.db.clone());
        let (tenant, entries) = two_entries(&log).await;
        let raw = || SqliteConnection::establish(&fresh.location).unwrap();
        for sql in [
            "UPDATE audit_logs SET action = 'x'",
            "DELETE FROM audit_logs",
            "DELETE FROM audit_logs WHERE seq = 2",
        ] {
            let err = raw().batch_execute(sql).unwrap_err();
            assert!(err.to_string().contains("append-only"), "{sql}: {err}");
        }
        assert_eq!(verified_chain(&log, tenant).await, entries);
        raw()
            .batch_execute("DROP TRIGGER audit_logs_no_update; DROP TRIGGER audit_logs_no_delete")
            .unwrap();
        tampering_shows(&log, tenant, |sql| {
            raw().batch_execute(sql).unwrap();
            std::future::ready(())
        })
        .await;
    }
}
