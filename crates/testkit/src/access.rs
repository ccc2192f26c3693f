//! Conformance suites of the access-control, resource, tenant and invitation ports. Each
//! expects a freshly migrated database (the default tenant, its system roles and rules, and
//! the business-element catalog present).

use crate::audit::event;
use crate::repos::new_user;
use castellan_domain::audit::Event;
use castellan_domain::rbac::{AccessFlags, AccessRule};
use castellan_domain::{Grant, Invitation, Role, StoredRule, Tenant};
use castellan_domain::{TenantId, UserId};
use castellan_ports::{
    AccessRepository, InvitationRepository, ListQuery, Mail, Mailer, Outbox, RepoError,
    RoleRepository, TenantBootstrap, TenantRepository, UserRepository,
};
use chrono::{Duration, Utc};
use uuid::Uuid;

const DEFAULT: Uuid = TenantId::DEFAULT.0;

/// The event of a write to the `kind` with this id in the default tenant.
fn on(action: &str, kind: &str, id: impl ToString) -> Event {
    event(action, Some(DEFAULT)).target(kind, id)
}

fn page(per_page: u32) -> ListQuery {
    ListQuery {
        tenant_id: Some(DEFAULT),
        page: 1,
        per_page,
        ..ListQuery::default()
    }
}

fn conflict_on(result: Result<(), RepoError>, subject: &str) {
    match result {
        Err(RepoError::Conflict(s)) => assert_eq!(s, subject),
        other => panic!("expected a conflict on {subject}, got {other:?}"),
    }
}

/// The catalog, and the rules of a user's current roles (several roles combine).
pub async fn catalog_and_rules_for_user(users: &dyn UserRepository, access: &dyn AccessRepository) {
    let elements = access.elements().await.unwrap();
    assert_eq!(elements.len(), 18);
    assert_eq!(elements[0].key, "access_rule", "ordered by key");
    let both = new_user("roles");
    users
        .insert(
            &both,
            &["User", "Guest"],
            &on("user.create", "user", both.id),
        )
        .await
        .unwrap();
    let rules = access.rules_for_user(both.id).await.unwrap();
    assert_eq!(rules.len(), 6, "User's five rules and Guest's one");
    let guest: Vec<&AccessRule> = rules.iter().filter(|r| r.role == "Guest").collect();
    assert_eq!(guest.len(), 1);
    assert_eq!(guest[0].element, "article");
    assert!(guest[0].flags.can_read_all && !guest[0].flags.can_create);
    let none = new_user("none");
    users
        .insert(&none, &[], &on("user.create", "user", none.id))
        .await
        .unwrap();
    assert!(access.rules_for_user(none.id).await.unwrap().is_empty());

    // The user with their roles and rules in one round trip: the same user and rules.
    let found = users.with_access(both.id).await.unwrap().unwrap();
    assert_eq!(found.user.id, both.id);
    assert_eq!(found.user.email, both.email);
    assert_eq!(found.roles, ["Guest", "User"], "sorted, once each");
    let (mut joined, mut separate) = (found.rules, rules);
    let by_id = |r: &AccessRule| r.id;
    joined.sort_by_key(by_id);
    separate.sort_by_key(by_id);
    assert_eq!(joined, separate);
    let found = users.with_access(none.id).await.unwrap().unwrap();
    assert_eq!(found.user.id, none.id);
    assert!(
        found.roles.is_empty() && found.rules.is_empty(),
        "a user without roles"
    );
    let missing = users
        .with_access(castellan_domain::UserId::new())
        .await
        .unwrap();
    assert!(missing.is_none(), "no such user");
}

fn role(name: &str) -> Role {
    let now = Utc::now();
    Role {
        id: Uuid::now_v7(),
        tenant_id: DEFAULT,
        name: name.into(),
        description: String::new(),
        is_system: false,
        created_at: now,
        updated_at: now,
    }
}

/// Roles, rules and grants, with their uniqueness conflicts and cascades.
pub async fn roles_rules_and_grants(users: &dyn UserRepository, roles: &dyn RoleRepository) {
    let editor = role("Editor");
    roles
        .insert_role(&editor, &on("role.create", "role", editor.id))
        .await
        .unwrap();
    let twin_role = role("Editor");
    conflict_on(
        roles
            .insert_role(&twin_role, &on("role.create", "role", twin_role.id))
            .await,
        "name",
    );
    assert_eq!(
        roles
            .role_by_name(DEFAULT, "Editor")
            .await
            .unwrap()
            .unwrap()
            .id,
        editor.id
    );
    assert_eq!(roles.list_roles(&page(50)).await.unwrap().total, 4);

    let rule = StoredRule {
        tenant_id: DEFAULT,
        rule: AccessRule {
            id: Uuid::now_v7(),
            role_id: editor.id,
            role: editor.name.clone(),
            element: "task".into(),
            flags: AccessFlags {
                can_read_all: true,
                ..AccessFlags::none()
            },
        },
    };
    roles
        .insert_rule(
            &rule,
            Utc::now(),
            &on("access_rule.create", "access_rule", rule.rule.id),
        )
        .await
        .unwrap();
    let mut twin = rule.clone();
    twin.rule.id = Uuid::now_v7();
    conflict_on(
        roles
            .insert_rule(
                &twin,
                Utc::now(),
                &on("access_rule.create", "access_rule", twin.rule.id),
            )
            .await,
        "element",
    );
    let mut changed = rule.clone();
    changed.rule.flags.can_create = true;
    let stored = roles
        .update_rule(
            &changed,
            Utc::now(),
            &on("access_rule.update", "access_rule", changed.rule.id),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(stored.rule.flags.can_create && stored.rule.flags.can_read_all);
    assert_eq!(stored.rule.role, "Editor");

    let user = new_user("grant");
    users
        .insert(&user, &[], &on("user.create", "user", user.id))
        .await
        .unwrap();
    let grant = Grant {
        id: Uuid::now_v7(),
        tenant_id: DEFAULT,
        user_id: user.id.0,
        role_id: editor.id,
        role: editor.name.clone(),
        granted_by: None,
        granted_at: Utc::now(),
    };
    roles
        .insert_grant(&grant, &on("grant.create", "grant", grant.id))
        .await
        .unwrap();
    conflict_on(
        roles
            .insert_grant(
                &Grant {
                    id: Uuid::now_v7(),
                    ..grant.clone()
                },
                &on("grant.create", "grant", grant.id),
            )
            .await,
        "role",
    );
    assert!(roles.role_in_use(editor.id).await.unwrap());
    let mine = roles
        .list_grants(&ListQuery {
            owner_id: Some(user.id.0),
            ..page(50)
        })
        .await
        .unwrap();
    assert_eq!((mine.total, mine.items[0].role.as_str()), (1, "Editor"));
    assert!(roles
        .delete_grant(grant.id, &on("grant.delete", "grant", grant.id))
        .await
        .unwrap());
    assert!(!roles.role_in_use(editor.id).await.unwrap());
    assert!(roles
        .delete_role(editor.id, &on("role.delete", "role", editor.id))
        .await
        .unwrap());
    assert!(
        roles.rule(rule.rule.id).await.unwrap().is_none(),
        "rules go with their role"
    );
}

/// A tenant bootstrap is all or nothing.
pub async fn tenant_bootstrap_is_atomic(
    users: &dyn UserRepository,
    tenants: &dyn TenantRepository,
) {
    let taken = new_user("taken");
    users
        .insert(&taken, &[], &on("user.create", "user", taken.id))
        .await
        .unwrap();
    let bootstrap = |slug: &str, admin_email| {
        let tenant = Tenant {
            id: Uuid::now_v7(),
            name: slug.into(),
            slug: slug.into(),
            is_active: true,
            created_at: Utc::now(),
        };
        let mut admin = new_user("boss");
        admin.tenant_id = TenantId(tenant.id);
        if let Some(email) = admin_email {
            admin.email = email;
        }
        let mut admin_role = role("Admin");
        admin_role.tenant_id = tenant.id;
        TenantBootstrap {
            tenant,
            roles: vec![admin_role],
            rules: vec![],
            admin,
            admin_roles: vec!["Admin".into()],
        }
    };
    let created = |new: &TenantBootstrap| {
        event("tenant.create", Some(new.tenant.id)).target("tenant", new.tenant.id)
    };
    let failing = bootstrap("acme", Some(taken.email.clone()));
    conflict_on(
        tenants.bootstrap(&failing, &created(&failing)).await,
        "email",
    );
    assert!(
        tenants.get(failing.tenant.id).await.unwrap().is_none(),
        "nothing half-created"
    );
    let ok = bootstrap("acme", None);
    tenants.bootstrap(&ok, &created(&ok)).await.unwrap();
    assert_eq!(
        users.role_names(ok.admin.id).await.unwrap(),
        vec!["Admin".to_string()]
    );
    let again = bootstrap("acme", None);
    conflict_on(tenants.bootstrap(&again, &created(&again)).await, "slug");
    let only = tenants
        .list(&ListQuery {
            tenant_id: Some(ok.tenant.id),
            page: 1,
            per_page: 10,
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(only.total, 1);
    let renamed = tenants
        .update(
            &Tenant {
                name: "Acme Ltd".into(),
                ..ok.tenant.clone()
            },
            &event("tenant.update", Some(ok.tenant.id)).target("tenant", ok.tenant.id),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renamed.name, "Acme Ltd");
}

/// Invitations are spent once; revoked and expired ones cannot be accepted.
pub async fn invitations_are_single_use(
    users: &dyn UserRepository,
    invitations: &dyn InvitationRepository,
) {
    let now = Utc::now();
    // The default tenant's system role `User` (its id is fixed by the first migration).
    let user_role = Uuid::from_u128(0x0000_0000_0000_0000_0001_0000_0000_0002);
    let invite = |email: &str, expires_in: Duration| Invitation {
        id: Uuid::now_v7(),
        tenant_id: DEFAULT,
        email: email.into(),
        role_id: user_role,
        role: "User".into(),
        invited_by: None,
        created_at: now,
        expires_at: now + expires_in,
        accepted_at: None,
        revoked_at: None,
    };
    let fresh = invite("fresh@example.com", Duration::hours(1));
    invitations
        .insert(
            &fresh,
            &[7; 32],
            &on("invitation.create", "invitation", fresh.id),
        )
        .await
        .unwrap();
    assert_eq!(
        invitations.by_token(&[7; 32]).await.unwrap().unwrap().id,
        fresh.id
    );
    assert_eq!(
        invitations.get(fresh.id).await.unwrap().unwrap().role,
        "User"
    );
    let mut joiner = new_user("joiner");
    assert!(invitations
        .accept(
            fresh.id,
            &joiner,
            now,
            &on("invitation.accept", "invitation", fresh.id)
        )
        .await
        .unwrap());
    assert_eq!(
        users.role_names(joiner.id).await.unwrap(),
        vec!["User".to_string()]
    );
    joiner.id = UserId::new();
    assert!(
        !invitations
            .accept(
                fresh.id,
                &joiner,
                now,
                &on("invitation.accept", "invitation", fresh.id)
            )
            .await
            .unwrap(),
        "once only"
    );
    assert!(!invitations
        .revoke(
            fresh.id,
            now,
            &on("invitation.revoke", "invitation", fresh.id)
        )
        .await
        .unwrap());
    assert_eq!(
        invitations
            .get(fresh.id)
            .await
            .unwrap()
            .unwrap()
            .status(now),
        "accepted"
    );

    let revoked = invite("revoked@example.com", Duration::hours(1));
    invitations
        .insert(
            &revoked,
            &[8; 32],
            &on("invitation.create", "invitation", revoked.id),
        )
        .await
        .unwrap();
    assert!(invitations
        .revoke(
            revoked.id,
            now,
            &on("invitation.revoke", "invitation", revoked.id)
        )
        .await
        .unwrap());
    assert!(!invitations
        .accept(
            revoked.id,
            &new_user("r"),
            now,
            &on("invitation.accept", "invitation", revoked.id)
        )
        .await
        .unwrap());
    let expired = invite("expired@example.com", Duration::seconds(-1));
    invitations
        .insert(
            &expired,
            &[9; 32],
            &on("invitation.create", "invitation", expired.id),
        )
        .await
        .unwrap();
    assert!(!invitations
        .accept(
            expired.id,
            &new_user("e"),
            now,
            &on("invitation.accept", "invitation", expired.id)
        )
        .await
        .unwrap());
    assert_eq!(invitations.list(&page(50)).await.unwrap().total, 3);
}

/// The dev mailer's outbox returns what was sent to an address, newest first.
pub async fn outbox_keeps_messages(mailer: &dyn Mailer, outbox: &dyn Outbox) {
    for subject in ["first", "second"] {
        mailer
            .send(&Mail {
                to: "box@example.com".into(),
                subject: subject.into(),
                body: "b".into(),
            })
            .await
            .unwrap();
    }
    mailer
        .send(&Mail {
            to: "other@example.com".into(),
            subject: "x".into(),
            body: "b".into(),
        })
        .await
        .unwrap();
    let sent = outbox.sent_to("box@example.com").await.unwrap();
    let subjects: Vec<&str> = sent.iter().map(|(_, m, _)| m.subject.as_str()).collect();
    assert_eq!(subjects, vec!["second", "first"]);
}
