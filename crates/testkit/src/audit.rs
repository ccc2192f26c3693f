//! Audit events for the other suites, and the conformance suite of [`AuditLog`] and of the
//! repositories' audited writes. Each suite expects a freshly migrated database.

use crate::repos::new_user;
use castellan_domain::audit::{
    diff, Actor, ChainVerifier, Entry, Event, Outcome, Verification, GENESIS_HASH,
};
use castellan_domain::resource::{Record, Value};
use castellan_domain::resources::ARTICLES;
use castellan_domain::{Session, SessionId, TenantId, UserId};
use castellan_ports::{
    AuditLog, AuditQuery, NewSession, RefreshOutcome, RepoError, ResourceRepository,
    SessionRepository, UserRepository,
};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;
use uuid::Uuid;

/// A successful `action` by the system in `tenant`'s chain (`None`: the chain without a
/// tenant), happening now. Name a target with [`Event::target`].
pub fn event(action: &str, tenant: Option<Uuid>) -> Event {
    Event::new(action, Actor::system(), tenant, Utc::now())
}

const DEFAULT: Option<Uuid> = Some(TenantId::DEFAULT.0);

/// Where `tenant`'s chain ends, by its recorded head (`0` and [`GENESIS_HASH`] when the
/// chain has no entry yet).
pub async fn head(log: &dyn AuditLog, tenant: Option<Uuid>) -> (i64, String) {
    let heads = log.heads(Some(tenant)).await.unwrap();
    assert!(heads.len() <= 1, "one head per chain: {heads:?}");
    match heads.into_iter().next() {
        Some(head) => {
            assert_eq!(head.tenant_id, tenant, "the head of another chain");
            (head.last_seq, head.last_hash)
        }
        None => (0, GENESIS_HASH.to_string()),
    }
}

/// The whole of `tenant`'s chain, read in small pages, after checking every entry's
/// number, link and hash and that the chain ends at its recorded head.
pub async fn verified_chain(log: &dyn AuditLog, tenant: Option<Uuid>) -> Vec<Entry> {
    const PAGE: u32 = 7;
    let mut entries: Vec<Entry> = Vec::new();
    let mut verifier = ChainVerifier::default();
    loop {
        let after = entries.last().map_or(0, |e| e.seq);
        let page = log.chain(tenant, after, PAGE).await.unwrap();
        assert!(page.len() <= PAGE as usize, "chain() ignores its limit");
        for entry in &page {
            assert_eq!(entry.event.tenant_id, tenant, "an entry of another chain");
            assert_eq!(entry.hash, entry.expected_hash(), "seq {}", entry.seq);
            assert!(verifier.check(entry), "{:?}", verifier.finish());
        }
        let last = page.len() < PAGE as usize;
        entries.extend(page);
        if last {
            break;
        }
    }
    let (seq, hash) = head(log, tenant).await;
    assert!(
        verifier.check_head(seq, &hash),
        "the chain does not end at its head (seq {seq}): {:?}",
        verifier.finish()
    );
    let report = verifier.finish();
    assert!(report.valid, "{report:?}");
    assert_eq!(report.checked, entries.len() as u64);
    entries
}

/// The verdict on `tenant`'s chain as stored (it may have been tampered with): every entry
/// checked in order, then the recorded head.
pub async fn verification(log: &dyn AuditLog, tenant: Option<Uuid>) -> Verification {
    let mut verifier = ChainVerifier::default();
    let mut after = 0;
    loop {
        let page = log.chain(tenant, after, 100).await.unwrap();
        for entry in &page {
            verifier.check(entry);
        }
        match page.last() {
            Some(last) if page.len() == 100 => after = last.seq,
            _ => break,
        }
    }
    let (seq, hash) = head(log, tenant).await;
    verifier.check_head(seq, &hash);
    verifier.finish()
}

/// The entries of `tenant`'s chain after `seq`.
async fn entries_after(log: &dyn AuditLog, tenant: Option<Uuid>, seq: i64) -> Vec<Entry> {
    log.chain(tenant, seq, 1000).await.unwrap()
}

/// Asserts that `tenant`'s chain did not grow past `seq`.
async fn nothing_recorded(log: &dyn AuditLog, tenant: Option<Uuid>, seq: i64, what: &str) {
    let extra = entries_after(log, tenant, seq).await;
    assert!(extra.is_empty(), "{what} recorded {extra:?}");
    assert_eq!(head(log, tenant).await.0, seq, "{what} moved the head");
}

/// Asserts that `tenant`'s chain grew by exactly `event`, after `seq`; returns the new end.
async fn recorded(log: &dyn AuditLog, tenant: Option<Uuid>, seq: i64, event: &Event) -> i64 {
    let extra = entries_after(log, tenant, seq).await;
    assert_eq!(
        extra.len(),
        1,
        "{} should record one entry: {extra:?}",
        event.action
    );
    assert_eq!(&extra[0].event, event, "the entry is the event as given");
    assert_eq!(extra[0].seq, seq + 1);
    assert_eq!(head(log, tenant).await.0, seq + 1);
    seq + 1
}

/// An event with every field set, secrets and awkward text included, to check that the
/// store keeps entries exactly as hashed.
fn full_event(n: usize, tenant: Option<Uuid>) -> Event {
    let actor = match n % 4 {
        0 => Actor::user(Uuid::now_v7()),
        1 => Actor::api_key(Uuid::now_v7()),
        2 => Actor::anonymous(),
        _ => Actor::system(),
    };
    let outcome = [Outcome::Success, Outcome::Failure, Outcome::Denied][n % 3];
    let before = json!({"title": "Old", "password_hash": "a", "tags": ["x"], "n": 1});
    let after = json!({
        "title": format!("naïve \"quoted\" \\ ✓ {n}"),
        "password_hash": "b",
        "tags": ["x", {"b": 2, "a": null}],
        "n": 2,
    });
    Event::new(format!("article.update_{n}"), actor, tenant, Utc::now())
        .target("article", Uuid::now_v7())
        .outcome(outcome)
        .changes(diff(&before, &after))
        .meta("attempt", n as i64)
        .meta("refresh_token", "secret")
        .meta(
            "nested",
            json!({"b": [1, 2], "a": {"api_key": "k", "ok": true}}),
        )
        .request(
            Some(format!("req-{n}")),
            Some("2001:db8::1".into()),
            Some("testkit/1.0 (\u{1F512})".into()),
        )
}

/// Each tenant has its own chain (and entries without a tenant one more): `seq` 1, 2, 3...
/// linked by `prev_hash` from [`GENESIS_HASH`]; entries are stored exactly as returned by
/// `append`; `heads` and `chain` report them.
pub async fn chains_are_linked_per_tenant(log: &dyn AuditLog) {
    let (a, b) = (Some(Uuid::now_v7()), Some(Uuid::now_v7()));
    let none_start = head(log, None).await;
    let plan = [a, b, None, a, a, b, None];
    let mut appended = Vec::new();
    for (n, tenant) in plan.into_iter().enumerate() {
        let event = full_event(n, tenant);
        let entry = log.append(&event).await.unwrap();
        assert_eq!(entry.event, event, "append keeps the event as given");
        assert_eq!(entry.hash, entry.expected_hash());
        appended.push(entry);
    }
    assert_eq!(
        appended[0].event.changes["password_hash"].after,
        json!("***"),
        "secrets are masked"
    );

    for (tenant, start) in [
        (a, (0, GENESIS_HASH.to_string())),
        (b, (0, GENESIS_HASH.to_string())),
        (None, none_start),
    ] {
        let mine: Vec<Entry> = appended
            .iter()
            .filter(|e| e.event.tenant_id == tenant)
            .cloned()
            .collect();
        let (mut seq, mut prev) = start.clone();
        for entry in &mine {
            seq += 1;
            assert_eq!(entry.seq, seq, "{tenant:?}: gapless numbering");
            assert_eq!(entry.prev_hash, prev, "{tenant:?}: seq {seq} links back");
            prev.clone_from(&entry.hash);
        }
        assert_eq!(head(log, tenant).await, (seq, prev), "{tenant:?}: head");
        assert_eq!(
            log.chain(tenant, start.0, 100).await.unwrap(),
            mine,
            "{tenant:?}: stored entries read back exactly, in seq order"
        );
        let whole = verified_chain(log, tenant).await;
        assert_eq!(whole[start.0 as usize..], mine[..]);
    }
    assert_eq!(appended[0].prev_hash, GENESIS_HASH);
    assert_eq!(appended[1].prev_hash, GENESIS_HASH);

    // `chain` starts after `after` and stops at `limit`.
    let of_a: Vec<&Entry> = appended.iter().filter(|e| e.event.tenant_id == a).collect();
    assert_eq!(
        log.chain(a, 1, 1).await.unwrap(),
        vec![of_a[1].clone()],
        "after 1, limit 1"
    );
    assert!(log.chain(a, 3, 10).await.unwrap().is_empty());
    let stranger = Some(Uuid::now_v7());
    assert!(log.chain(stranger, 0, 10).await.unwrap().is_empty());

    // `heads`: every chain, one chain, or none for an unknown tenant.
    let all = log.heads(None).await.unwrap();
    for tenant in [a, b, None] {
        let found: Vec<_> = all.iter().filter(|h| h.tenant_id == tenant).collect();
        assert_eq!(found.len(), 1, "{tenant:?} in {all:?}");
        assert_eq!(
            (found[0].last_seq, found[0].last_hash.clone()),
            head(log, tenant).await
        );
    }
    assert!(log.heads(Some(stranger)).await.unwrap().is_empty());
}

/// A query's entries over every page, checking the paging contract on the way.
async fn all_pages(log: &dyn AuditLog, query: &AuditQuery) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut before = None;
    for _ in 0..1000 {
        let page = log
            .list(&AuditQuery {
                before,
                ..query.clone()
            })
            .await
            .unwrap();
        assert!(
            page.entries.len() <= query.limit as usize,
            "a page is at most `limit` long"
        );
        entries.extend(page.entries.iter().cloned());
        match page.next {
            Some(next) => {
                assert_eq!(
                    page.entries.len(),
                    query.limit as usize,
                    "only a full page has a next one"
                );
                assert!(before.is_none_or(|b| next < b), "paging moves backwards");
                before = Some(next);
            }
            None => return entries,
        }
    }
    panic!("paging never ended");
}

fn ids(entries: &[Entry]) -> Vec<Uuid> {
    entries.iter().map(|e| e.event.id).collect()
}

/// `list`: newest first; every filter narrows to exactly the matching entries; cursor
/// paging walks all of them exactly once.
pub async fn list_filters_and_pages(log: &dyn AuditLog) {
    let (tenant, other) = (Some(Uuid::now_v7()), Some(Uuid::now_v7()));
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    let (art1, art2) = (Uuid::now_v7().to_string(), Uuid::now_v7().to_string());
    let start =
        DateTime::from_timestamp_micros((Utc::now() - Duration::hours(1)).timestamp_micros())
            .unwrap();
    let at = |n: i64| start + Duration::minutes(n);
    let none = (None::<&str>, None::<&String>);
    let specs = [
        (Actor::user(alice), "auth.login", none, Outcome::Success),
        (
            Actor::user(alice),
            "article.create",
            (Some("article"), Some(&art1)),
            Outcome::Success,
        ),
        (
            Actor::user(bob),
            "article.update",
            (Some("article"), Some(&art1)),
            Outcome::Success,
        ),
        (
            Actor::user(bob),
            "article.update",
            (Some("article"), Some(&art2)),
            Outcome::Denied,
        ),
        (
            Actor::system(),
            "user.update",
            (Some("user"), Some(&art1)),
            Outcome::Success,
        ),
        (Actor::anonymous(), "auth.login", none, Outcome::Failure),
        (
            Actor::user(alice),
            "article.delete",
            (Some("article"), Some(&art1)),
            Outcome::Success,
        ),
    ];
    let mut ours = Vec::new(); // `tenant`'s entries, oldest first
    let mut theirs = Vec::new(); // `other`'s look-alikes
    for (n, (actor, action, (kind, target), outcome)) in specs.into_iter().enumerate() {
        let mut event = Event::new(action, actor, tenant, at(n as i64)).outcome(outcome);
        if let (Some(kind), Some(target)) = (kind, target) {
            event = event.target(kind, target);
        }
        // The same entry in another tenant: only the tenant filter tells them apart.
        let twin = Event {
            id: Uuid::now_v7(),
            tenant_id: other,
            ..event.clone()
        };
        ours.push(log.append(&event).await.unwrap());
        theirs.push(log.append(&twin).await.unwrap());
    }
    let newest_first = |entries: &[Entry], keep: &dyn Fn(&Entry) -> bool| -> Vec<Uuid> {
        entries
            .iter()
            .rev()
            .filter(|e| keep(e))
            .map(|e| e.event.id)
            .collect()
    };
    let in_tenant = AuditQuery {
        tenant_id: tenant,
        limit: 100,
        ..AuditQuery::default()
    };

    let listed = log.list(&in_tenant).await.unwrap();
    assert_eq!(listed.next, None);
    assert_eq!(
        ids(&listed.entries),
        newest_first(&ours, &|_| true),
        "a tenant's entries, newest first"
    );
    assert_eq!(
        listed.entries[0], ours[6],
        "listed entries read back exactly"
    );

    type Keep<'k> = Box<dyn Fn(&Entry) -> bool + 'k>;
    let cases: Vec<(&str, AuditQuery, Keep)> = vec![
        (
            "actor_id",
            AuditQuery {
                actor_id: Some(alice),
                ..in_tenant.clone()
            },
            Box::new(|e: &Entry| e.event.actor.id == Some(alice)),
        ),
        (
            "action",
            AuditQuery {
                action: Some("article.update".into()),
                ..in_tenant.clone()
            },
            Box::new(|e: &Entry| e.event.action == "article.update"),
        ),
        (
            "target_type",
            AuditQuery {
                target_type: Some("article".into()),
                ..in_tenant.clone()
            },
            Box::new(|e: &Entry| e.event.target_type.as_deref() == Some("article")),
        ),
        (
            "target_id",
            AuditQuery {
                target_id: Some(art1.clone()),
                ..in_tenant.clone()
            },
            Box::new(|e: &Entry| e.event.target_id.as_deref() == Some(art1.as_str())),
        ),
        (
            "target_type and target_id",
            AuditQuery {
                target_type: Some("article".into()),
                target_id: Some(art1.clone()),
                ..in_tenant.clone()
            },
            Box::new(|e: &Entry| {
                e.event.target_type.as_deref() == Some("article")
                    && e.event.target_id.as_deref() == Some(art1.as_str())
            }),
        ),
        (
            "outcome denied",
            AuditQuery {
                outcome: Some(Outcome::Denied),
                ..in_tenant.clone()
            },
            Box::new(|e: &Entry| e.event.outcome == Outcome::Denied),
        ),
        (
            "outcome failure",
            AuditQuery {
                outcome: Some(Outcome::Failure),
                ..in_tenant.clone()
            },
            Box::new(|e: &Entry| e.event.outcome == Outcome::Failure),
        ),
        (
            "outcome success",
            AuditQuery {
                outcome: Some(Outcome::Success),
                ..in_tenant.clone()
            },
            Box::new(|e: &Entry| e.event.outcome == Outcome::Success),
        ),
        (
            "since (inclusive)",
            AuditQuery {
                since: Some(at(2)),
                ..in_tenant.clone()
            },
            Box::new(|e: &Entry| e.event.occurred_at >= at(2)),
        ),
        (
            "until (exclusive)",
            AuditQuery {
                until: Some(at(2)),
                ..in_tenant.clone()
            },
            Box::new(|e: &Entry| e.event.occurred_at < at(2)),
        ),
        (
            "since and until",
            AuditQuery {
                since: Some(at(2)),
                until: Some(at(5)),
                ..in_tenant.clone()
            },
            Box::new(|e: &Entry| e.event.occurred_at >= at(2) && e.event.occurred_at < at(5)),
        ),
        (
            "actor and outcome",
            AuditQuery {
                actor_id: Some(bob),
                outcome: Some(Outcome::Success),
                ..in_tenant.clone()
            },
            Box::new(|e: &Entry| {
                e.event.actor.id == Some(bob) && e.event.outcome == Outcome::Success
            }),
        ),
        (
            "no match",
            AuditQuery {
                action: Some("article.nothing".into()),
                ..in_tenant.clone()
            },
            Box::new(|_: &Entry| false),
        ),
    ];
    for (name, query, keep) in &cases {
        let expected = newest_first(&ours, keep.as_ref());
        assert!(
            *name == "no match" || !expected.is_empty(),
            "{name}: the case should select something"
        );
        assert!(
            expected.len() < ours.len(),
            "{name}: the case should leave something out"
        );
        let page = log.list(query).await.unwrap();
        assert_eq!(ids(&page.entries), expected, "{name}");
        assert_eq!(page.next, None, "{name}");
        let other_page = log
            .list(&AuditQuery {
                tenant_id: other,
                ..query.clone()
            })
            .await
            .unwrap();
        assert_eq!(
            ids(&other_page.entries),
            newest_first(&theirs, keep.as_ref()),
            "{name} in the other tenant"
        );
    }

    // Without a tenant filter, both tenants' entries (newest first, interleaved).
    let both: Vec<Entry> = ours
        .iter()
        .zip(&theirs)
        .flat_map(|(o, t)| [o.clone(), t.clone()])
        .collect();
    let everywhere = log
        .list(&AuditQuery {
            tenant_id: None,
            actor_id: Some(alice),
            limit: 100,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        ids(&everywhere.entries),
        newest_first(&both, &|e| e.event.actor.id == Some(alice)),
        "every tenant"
    );

    // Paging: every entry exactly once, in order, whatever the page size.
    for limit in [1, 3, 6, 7, 8] {
        let walked = all_pages(
            log,
            &AuditQuery {
                limit,
                ..in_tenant.clone()
            },
        )
        .await;
        assert_eq!(ids(&walked), ids(&listed.entries), "pages of {limit}");
    }
    let first = log
        .list(&AuditQuery {
            limit: 3,
            ..in_tenant.clone()
        })
        .await
        .unwrap();
    assert_eq!(first.entries.len(), 3);
    assert!(first.next.is_some(), "more than one page of 3");
    let exact = log
        .list(&AuditQuery {
            limit: 7,
            ..in_tenant.clone()
        })
        .await
        .unwrap();
    assert_eq!(
        (exact.entries.len(), exact.next),
        (7, None),
        "a last page that is exactly full has no next"
    );
    let filtered = all_pages(
        log,
        &AuditQuery {
            actor_id: Some(alice),
            limit: 1,
            ..in_tenant.clone()
        },
    )
    .await;
    assert_eq!(
        ids(&filtered),
        newest_first(&ours, &|e| e.event.actor.id == Some(alice)),
        "filtered pages"
    );
    let across = all_pages(
        log,
        &AuditQuery {
            tenant_id: None,
            target_id: Some(art1.clone()),
            limit: 2,
            ..AuditQuery::default()
        },
    )
    .await;
    assert_eq!(
        ids(&across),
        newest_first(&both, &|e| e.event.target_id.as_deref()
            == Some(art1.as_str())),
        "pages across tenants"
    );
}

fn article(owner: UserId, title: &str) -> Record {
    let now = Utc::now();
    Record {
        id: Uuid::now_v7(),
        tenant_id: TenantId::DEFAULT.0,
        owner_id: owner.0,
        created_at: now,
        updated_at: now,
        values: vec![Value::Text(title.into()), Value::Text(String::new())],
    }
}

/// An audited write records exactly its event, in the change's transaction: a write that
/// changes nothing records nothing; a failed write records nothing; an entry that cannot
/// be written undoes the change.
pub async fn audited_writes_are_atomic(
    users: &dyn UserRepository,
    resources: &dyn ResourceRepository,
    log: &dyn AuditLog,
) {
    let (seq, _) = head(log, DEFAULT).await;
    let owner = new_user("audited");
    let created = event("user.create", DEFAULT).target("user", owner.id);
    users.insert(&owner, &[], &created).await.unwrap();
    let seq = recorded(log, DEFAULT, seq, &created).await;

    // Insert, update and delete each record their event.
    let mut art = article(owner.id, "audited");
    let create = Event::new(
        "article.create",
        Actor::user(owner.id.0),
        DEFAULT,
        Utc::now(),
    )
    .target("article", art.id)
    .changes(diff(&json!({}), &art.snapshot(&ARTICLES)));
    resources.insert(&ARTICLES, &art, &create).await.unwrap();
    let seq = recorded(log, DEFAULT, seq, &create).await;
    let by_target = log
        .list(&AuditQuery {
            tenant_id: DEFAULT,
            target_type: Some("article".into()),
            target_id: Some(art.id.to_string()),
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(ids(&by_target.entries), vec![create.id]);

    art.values[0] = Value::Text("audited 2".into());
    let update = event("article.update", DEFAULT).target("article", art.id);
    assert!(resources
        .update(&ARTICLES, &art, &update)
        .await
        .unwrap()
        .is_some());
    let seq = recorded(log, DEFAULT, seq, &update).await;

    // Writes that change nothing record nothing.
    let ghost = article(owner.id, "ghost");
    let ghost_update = event("article.update", DEFAULT).target("article", ghost.id);
    assert!(resources
        .update(&ARTICLES, &ghost, &ghost_update)
        .await
        .unwrap()
        .is_none());
    nothing_recorded(log, DEFAULT, seq, "updating a missing article").await;
    let ghost_delete = event("article.delete", DEFAULT).target("article", ghost.id);
    assert!(!resources
        .delete(&ARTICLES, ghost.id, &ghost_delete)
        .await
        .unwrap());
    nothing_recorded(log, DEFAULT, seq, "deleting a missing article").await;
    let nobody = UserId::new();
    let ghost_account = event("user.update", DEFAULT).target("user", nobody);
    assert!(users
        .update_account(nobody, &owner.profile, false, Utc::now(), &ghost_account)
        .await
        .unwrap()
        .is_none());
    nothing_recorded(log, DEFAULT, seq, "updating a missing account").await;
    let ghost_password = event("user.password_change", DEFAULT).target("user", nobody);
    let _ = users
        .set_password(nobody, "$x", Utc::now(), &ghost_password)
        .await;
    nothing_recorded(log, DEFAULT, seq, "a missing user's password").await;

    let delete = event("article.delete", DEFAULT).target("article", art.id);
    assert!(resources.delete(&ARTICLES, art.id, &delete).await.unwrap());
    let seq = recorded(log, DEFAULT, seq, &delete).await;
    let again = event("article.delete", DEFAULT).target("article", art.id);
    assert!(!resources.delete(&ARTICLES, art.id, &again).await.unwrap());
    nothing_recorded(log, DEFAULT, seq, "deleting twice").await;

    // A failed write records nothing (and writes nothing).
    let mut twin = new_user("audited-twin");
    twin.email = owner.email.clone();
    let twin_created = event("user.create", DEFAULT).target("user", twin.id);
    match users.insert(&twin, &["User"], &twin_created).await {
        Err(RepoError::Conflict(subject)) => assert_eq!(subject, "email"),
        other => panic!("expected a conflict on email, got {other:?}"),
    }
    nothing_recorded(log, DEFAULT, seq, "a conflicting insert").await;
    assert!(users.by_id(twin.id).await.unwrap().is_none());

    // An entry that cannot be written (its id is taken) undoes the change with it.
    let doomed = article(owner.id, "doomed");
    let reused_id = Event {
        id: create.id,
        ..event("article.create", DEFAULT).target("article", doomed.id)
    };
    // A fault, not a conflict the client could resolve.
    assert!(
        matches!(
            resources.insert(&ARTICLES, &doomed, &reused_id).await,
            Err(RepoError::Other(_))
        ),
        "an entry id can be stored once only"
    );
    assert!(
        resources.get(&ARTICLES, doomed.id).await.unwrap().is_none(),
        "the change went without its entry"
    );
    nothing_recorded(log, DEFAULT, seq, "an insert whose entry failed").await;
    let stray = Event {
        id: created.id,
        ..event("user.create", DEFAULT)
    };
    let loner = new_user("audited-loner");
    assert!(users.insert(&loner, &["User"], &stray).await.is_err());
    assert!(users.by_id(loner.id).await.unwrap().is_none());
    assert!(users.by_email(&loner.email).await.unwrap().is_none());
    nothing_recorded(log, DEFAULT, seq, "a user insert whose entry failed").await;

    // And the chain is whole.
    let chain = verified_chain(log, DEFAULT).await;
    assert_eq!(chain.len() as i64, seq);
}

fn session_of(user: UserId) -> Session {
    let now = Utc::now();
    Session {
        id: SessionId::new(),
        user_id: user,
        tenant_id: TenantId::DEFAULT,
        created_at: now,
        last_used_at: now,
        expires_at: now + Duration::days(1),
        revoked_at: None,
        ip: None,
        user_agent: None,
    }
}

/// Sessions: `create` records its event only when given one; `rotate` records the event
/// made of the rotated session only when it rotated; `revoke` only when it revoked.
pub async fn session_writes_are_audited(
    users: &dyn UserRepository,
    sessions: &dyn SessionRepository,
    log: &dyn AuditLog,
) {
    let user = new_user("audited-sessions");
    let created = event("user.create", DEFAULT).target("user", user.id);
    users.insert(&user, &[], &created).await.unwrap();
    let (seq, _) = head(log, DEFAULT).await;

    let quiet = session_of(user.id);
    sessions
        .create(
            &NewSession {
                session: quiet,
                refresh_hash: vec![41; 32],
            },
            None,
        )
        .await
        .unwrap();
    nothing_recorded(log, DEFAULT, seq, "a session created without an event").await;

    let session = session_of(user.id);
    let login = Event::new("auth.login", Actor::user(user.id.0), DEFAULT, Utc::now())
        .target("session", session.id)
        .request(Some("req".into()), Some("127.0.0.1".into()), None);
    sessions
        .create(
            &NewSession {
                session: session.clone(),
                refresh_hash: vec![42; 32],
            },
            Some(&login),
        )
        .await
        .unwrap();
    let seq = recorded(log, DEFAULT, seq, &login).await;

    let refresh_id = Uuid::now_v7();
    let now = Utc::now();
    let refresh = move |s: &Session| Event {
        id: refresh_id,
        ..Event::new(
            "session.refresh",
            Actor::user(s.user_id.0),
            Some(s.tenant_id.0),
            now,
        )
        .target("session", s.id)
    };
    match sessions
        .rotate(&[42; 32], &[43; 32], now, Box::new(refresh))
        .await
        .unwrap()
    {
        RefreshOutcome::Rotated(r) => assert_eq!(r.session.id, session.id),
        other => panic!("expected rotation, got {other:?}"),
    }
    let extra = entries_after(log, DEFAULT, seq).await;
    assert_eq!(extra.len(), 1, "a rotation records one entry: {extra:?}");
    assert_eq!(extra[0].event.id, refresh_id);
    assert_eq!(
        extra[0].event.target_id.as_deref(),
        Some(session.id.to_string().as_str()),
        "the event is made of the rotated session"
    );
    assert_eq!(extra[0].event.actor, Actor::user(user.id.0));
    let seq = seq + 1;

    let fresh = |s: &Session| event("session.refresh", Some(s.tenant_id.0)).target("session", s.id);
    match sessions
        .rotate(&[42; 32], &[44; 32], now, Box::new(fresh))
        .await
        .unwrap()
    {
        RefreshOutcome::Reused(_) => {}
        other => panic!("expected reuse, got {other:?}"),
    }
    nothing_recorded(log, DEFAULT, seq, "a reused refresh token").await;
    assert_eq!(
        sessions
            .rotate(&[99; 32], &[45; 32], now, Box::new(fresh))
            .await
            .unwrap(),
        RefreshOutcome::Invalid
    );
    nothing_recorded(log, DEFAULT, seq, "an unknown refresh token").await;

    let revoke = event("session.revoke", DEFAULT).target("session", session.id);
    assert!(sessions.revoke(session.id, now, &revoke).await.unwrap());
    let seq = recorded(log, DEFAULT, seq, &revoke).await;
    let again = event("session.revoke", DEFAULT).target("session", session.id);
    assert!(!sessions.revoke(session.id, now, &again).await.unwrap());
    nothing_recorded(log, DEFAULT, seq, "revoking twice").await;
    assert_eq!(
        sessions
            .rotate(&[43; 32], &[46; 32], now, Box::new(fresh))
            .await
            .unwrap(),
        RefreshOutcome::Invalid,
        "a revoked session does not rotate"
    );
    nothing_recorded(log, DEFAULT, seq, "refreshing a revoked session").await;

    verified_chain(log, DEFAULT).await;
}

/// Concurrent appends queue on their chain: 50 at once to one tenant (with a few to
/// another meanwhile) number it 1..=50 without gap or fork.
pub async fn concurrent_appends_stay_gapless(log: Arc<dyn AuditLog>) {
    const N: i64 = 50;
    let (tenant, other) = (Some(Uuid::now_v7()), Some(Uuid::now_v7()));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..N {
        let writer = log.clone();
        let action = format!("load.append_{n}");
        tasks.spawn(async move { writer.append(&event(&action, tenant)).await.unwrap() });
        if n % 5 == 0 {
            let writer = log.clone();
            tasks.spawn(async move { writer.append(&event("load.other", other)).await.unwrap() });
        }
    }
    let mut appended = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        appended.push(joined.unwrap());
    }
    let mut seqs: Vec<i64> = appended
        .iter()
        .filter(|e| e.event.tenant_id == tenant)
        .map(|e| e.seq)
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=N).collect::<Vec<_>>(), "gapless, no seq twice");

    let chain = verified_chain(&*log, tenant).await;
    assert_eq!(chain.len() as i64, N);
    assert_eq!(head(&*log, tenant).await.0, N);
    let stored: HashSet<Uuid> = chain.iter().map(|e| e.event.id).collect();
    let returned: HashSet<Uuid> = appended
        .iter()
        .filter(|e| e.event.tenant_id == tenant)
        .map(|e| e.event.id)
        .collect();
    assert_eq!(stored, returned, "every append stored, nothing else");
    for entry in &chain {
        let same = appended.iter().find(|e| e.event.id == entry.event.id);
        assert_eq!(same, Some(entry), "append returned what was stored");
    }
    assert_eq!(verified_chain(&*log, other).await.len(), 10);
}

/// Two replicas (two pools on one database) append to one chain in turn and then at
/// once: each continues what the other wrote, and the chain stays gapless and verified.
pub async fn replicas_share_a_chain(a: Arc<dyn AuditLog>, b: Arc<dyn AuditLog>) {
    let tenant = Some(Uuid::now_v7());
    for n in 0..6_i64 {
        let log = if n % 2 == 0 { &a } else { &b };
        let entry = log
            .append(&event(&format!("turn.{n}"), tenant))
            .await
            .unwrap();
        assert_eq!(entry.seq, n + 1, "each replica continues the other's chain");
    }
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..20 {
        let log = if n % 2 == 0 { a.clone() } else { b.clone() };
        tasks.spawn(async move { log.append(&event("both.at_once", tenant)).await.unwrap() });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.unwrap();
    }
    assert_eq!(verified_chain(&*a, tenant).await.len(), 26);
    assert_eq!(head(&*b, tenant).await.0, 26);
}
