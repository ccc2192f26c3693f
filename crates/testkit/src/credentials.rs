//! Conformance suite of [`CredentialRepository`]. Expects a freshly migrated database (the
//! `default` tenant present); each function stores its users through `users`.

use crate::audit::event;
use crate::repos::new_user;
use castellan_domain::credential::Credential;
use castellan_domain::TenantId;
use castellan_ports::{
    CredentialRepository, ListQuery, RepoError, SealedSecret, UserRepository, WrappedKey,
};
use chrono::{SubsecRound, Utc};
use serde_json::json;
use uuid::Uuid;

async fn owner(users: &dyn UserRepository) -> Uuid {
    let user = new_user("vault");
    let audit = event("user.create", Some(user.tenant_id.0)).target("user", user.id);
    users.insert(&user, &["User"], &audit).await.unwrap();
    user.id.0
}

fn credential(owner: Uuid, name: &str) -> Credential {
    let now = Utc::now().trunc_subsecs(6);
    Credential {
        id: Uuid::now_v7(),
        tenant_id: TenantId::DEFAULT.0,
        owner_id: owner,
        name: name.into(),
        provider: "stripe".into(),
        metadata: json!({"account": "acct_1", "n": 2})
            .as_object()
            .unwrap()
            .clone(),
        key_version: 1,
        created_at: now,
        updated_at: now,
        rotated_at: None,
    }
}

fn sealed(version: u32, fill: u8) -> SealedSecret {
    SealedSecret {
        key: WrappedKey {
            kek_version: version,
            wrapped: vec![fill; 60],
        },
        nonce: vec![fill; 12],
        ciphertext: vec![fill; 33],
    }
}

fn on(c: &Credential, action: &str) -> castellan_domain::audit::Event {
    event(action, Some(c.tenant_id)).target("credential", c.id)
}

fn listing(tenant: Option<Uuid>, search: Option<&str>) -> ListQuery {
    ListQuery {
        tenant_id: tenant,
        owner_id: None,
        search: search.map(str::to_owned),
        ordering: Vec::new(),
        page: 1,
        per_page: 50,
        filters: Vec::new(),
    }
}

/// Stored and read back whole (the secret only through `sealed`), updated, replaced,
/// listed, searched and deleted; a taken name is a conflict on `name`.
pub async fn credentials_round_trip(repo: &dyn CredentialRepository, users: &dyn UserRepository) {
    let owner = owner(users).await;
    let mut c = credential(owner, "Stripe live");
    repo.insert(&c, &sealed(1, 7), &on(&c, "credential.create"))
        .await
        .unwrap();
    assert_eq!(repo.get(c.id).await.unwrap().unwrap(), c);
    let (read, secret) = repo.sealed(c.id).await.unwrap().unwrap();
    assert_eq!((read, secret), (c.clone(), sealed(1, 7)));

    let twin = credential(owner, "Stripe live");
    let err = repo
        .insert(&twin, &sealed(1, 8), &on(&twin, "credential.create"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RepoError::Conflict(ref f) if f == "name"),
        "{err:?}"
    );

    c.provider = "stripe-eu".into();
    c.metadata = json!({"k": "v"}).as_object().unwrap().clone();
    c.updated_at = (c.updated_at + chrono::Duration::seconds(1)).trunc_subsecs(6);
    assert!(repo.update(&c, &on(&c, "credential.update")).await.unwrap());
    assert_eq!(repo.get(c.id).await.unwrap().unwrap(), c);

    c.key_version = 2;
    c.rotated_at = Some(c.updated_at);
    assert!(repo
        .replace_secret(&c, &sealed(2, 9), &on(&c, "credential.secret_replace"))
        .await
        .unwrap());
    assert_eq!(
        repo.sealed(c.id).await.unwrap().unwrap(),
        (c.clone(), sealed(2, 9))
    );

    let other = credential(owner, "Google Ads");
    repo.insert(&other, &sealed(1, 1), &on(&other, "credential.create"))
        .await
        .unwrap();
    let all = repo
        .list(&listing(Some(TenantId::DEFAULT.0), None))
        .await
        .unwrap();
    assert_eq!(all.total, 2);
    assert_eq!(all.items[0].id, other.id, "newest first");
    let found = repo.list(&listing(None, Some("ads"))).await.unwrap();
    assert_eq!(
        found.items.iter().map(|c| c.id).collect::<Vec<_>>(),
        [other.id]
    );
    let none = repo
        .list(&listing(Some(Uuid::new_v4()), None))
        .await
        .unwrap();
    assert_eq!(none.total, 0);

    assert!(repo
        .delete(c.id, &on(&c, "credential.delete"))
        .await
        .unwrap());
    assert!(!repo
        .delete(c.id, &on(&c, "credential.delete"))
        .await
        .unwrap());
    assert!(repo.get(c.id).await.unwrap().is_none());
    assert!(repo.sealed(c.id).await.unwrap().is_none());
    assert!(!repo.update(&c, &on(&c, "credential.update")).await.unwrap());
}

/// What a rotation walks: stale keys in id order after a cursor, counted; a re-wrap is
/// written only over the key that was read.
pub async fn stale_keys_and_conditional_rewrap(
    repo: &dyn CredentialRepository,
    users: &dyn UserRepository,
) {
    let owner = owner(users).await;
    let mut stored = Vec::new();
    for (i, version) in [1, 2, 1, 3, 1].into_iter().enumerate() {
        let c = credential(owner, &format!("c{i}"));
        repo.insert(&c, &sealed(version, i as u8), &on(&c, "credential.create"))
            .await
            .unwrap();
        stored.push(c);
    }
    assert_eq!(repo.count_stale(2).await.unwrap(), 3);
    assert_eq!(repo.count_stale(3).await.unwrap(), 4);
    assert_eq!(repo.count_stale(1).await.unwrap(), 0);
    let first = repo.stale_keys(2, None, 2).await.unwrap();
    assert_eq!(
        first.iter().map(|s| s.id).collect::<Vec<_>>(),
        [stored[0].id, stored[2].id]
    );
    assert_eq!(first[0].key, sealed(1, 0).key);
    let rest = repo.stale_keys(2, Some(stored[2].id), 10).await.unwrap();
    assert_eq!(
        rest.iter().map(|s| s.id).collect::<Vec<_>>(),
        [stored[4].id]
    );

    let new = WrappedKey {
        kek_version: 2,
        wrapped: vec![42; 60],
    };
    assert!(repo.rewrap(&first[0], &new).await.unwrap());
    let (read, secret) = repo.sealed(stored[0].id).await.unwrap().unwrap();
    assert_eq!(read.key_version, 2);
    assert_eq!(secret.key, new);
    assert_eq!(
        secret.ciphertext,
        sealed(1, 0).ciphertext,
        "the ciphertext stays"
    );
    // Read before another write: not written over.
    assert!(!repo.rewrap(&first[0], &new).await.unwrap());
    let mut replaced = stored[2].clone();
    replaced.key_version = 2;
    repo.replace_secret(
        &replaced,
        &sealed(2, 77),
        &on(&replaced, "credential.secret_replace"),
    )
    .await
    .unwrap();
    assert!(!repo.rewrap(&first[1], &new).await.unwrap());
    assert_eq!(
        repo.sealed(stored[2].id).await.unwrap().unwrap().1,
        sealed(2, 77)
    );
    assert_eq!(repo.count_stale(2).await.unwrap(), 1);
}
