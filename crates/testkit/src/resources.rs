//! The conformance suite of [`ResourceRepository`], driven by a resource's declaration: any
//! resource runs it by naming its definition (`crud_and_listing(users, repo, &ARTICLES)`).
//! Values are made up from each field's kind and constraints, parents are created as
//! needed, and every orderable, searchable and filterable field is exercised.

use crate::audit::event;
use crate::repos::new_user;
use castellan_domain::resource::{Field, Kind, Record, ResourceDef, Unique, Value, CODE};
use castellan_domain::{TenantId, UserId};
use castellan_ports::{ListQuery, Ordering, RepoError, ResourceRepository, UserRepository};
use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, TimeZone, Utc};
use uuid::Uuid;

const DEFAULT: Uuid = TenantId::DEFAULT.0;

/// Now, to the microsecond (what every backend stores).
fn now() -> DateTime<Utc> {
    let now = Utc::now();
    now - Duration::nanoseconds(i64::from(now.timestamp_subsec_nanos() % 1_000))
}

/// A text of `min..=max` characters satisfying the field's pattern, distinct per `n` (and,
/// for unique fields, per call), with a `%` (when allowed) so that a literal-percent search
/// has something to find.
fn text(field: &Field, min: u32, max: u32, n: usize) -> String {
    let code = matches!(field.kind, Kind::Text { pattern: Some(p), .. } if p.regex == CODE.regex);
    let unique = match field.unique {
        Some(_) => format!("-{}", Uuid::now_v7().simple()),
        None => String::new(),
    };
    let mut text = match code {
        true => format!("C{n:03}{unique}"),
        false => format!("{} n{n:03} 100%{unique}", field.name),
    };
    text.truncate(max as usize);
    while text.chars().count() < min as usize {
        text.push('x');
    }
    text
}

/// A valid value of `field` (the `position`th of its resource) for the `n`th sample object,
/// for every kind that names nothing else (`None` for parents and users). Times grow with
/// the position, so that a later field (`expires_at`) comes after an earlier one
/// (`manufactured_at`); unique fields get a value no other call gets.
pub fn sample_scalar(field: &Field, position: usize, n: usize) -> Option<Value> {
    Some(match field.kind {
        Kind::Text { min, max, .. } => Value::Text(text(field, min, max, n)),
        Kind::Enum(values) => Value::Text(values[n % values.len()].to_string()),
        Kind::Bool => Value::Bool(n % 2 == 0),
        Kind::Date => Value::Date(
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default()
                + Duration::days(i64::try_from(n % 28).unwrap_or(0)),
        ),
        Kind::Timestamp => Value::Time(
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single()?
                + Duration::hours(i64::try_from(n % 24).unwrap_or(0))
                + Duration::days(365 * i64::try_from(position).unwrap_or(0)),
        ),
        Kind::User | Kind::Parent(_) => return None,
    })
}

/// The `n`th object of a synthetic data set of `def` (benchmarks, query-plan checks): its
/// values from [`sample_scalar`], its parents taken in turn from `parents` (the ids of
/// the parent resource's objects, by its plural), users being `owner`, and its times one
/// second apart.
pub fn synthetic(
    def: &'static ResourceDef,
    tenant: Uuid,
    owner: Uuid,
    n: usize,
    parents: &[(&'static str, Vec<Uuid>)],
) -> Record {
    let values = def
        .fields
        .iter()
        .enumerate()
        .map(|(position, field)| match field.kind {
            Kind::User => Value::Id(owner),
            Kind::Parent(parent) => parents
                .iter()
                .find(|(plural, _)| *plural == parent.plural)
                .and_then(|(_, ids)| ids.get(n % ids.len().max(1)))
                .map_or(Value::Null, |id| Value::Id(*id)),
            _ => sample_scalar(field, position, n).unwrap_or(Value::Null),
        })
        .collect();
    let at = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
        + Duration::seconds(i64::try_from(n).unwrap_or(0));
    Record {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        owner_id: owner,
        created_at: at,
        updated_at: at,
        values,
    }
}

/// A valid value of `field` for the `n`th sample object; parents are inserted.
async fn sample_value(
    repo: &dyn ResourceRepository,
    field: &Field,
    position: usize,
    owner: UserId,
    n: usize,
) -> Value {
    match field.kind {
        Kind::User => Value::Id(owner.0),
        Kind::Parent(parent) => {
            let record = Box::pin(insert_sample(repo, parent, owner, n)).await;
            Value::Id(record.id)
        }
        _ => sample_scalar(field, position, n).unwrap_or(Value::Null),
    }
}

/// Inserts the `n`th sample object of `def` owned by `owner` in the default tenant.
pub async fn insert_sample(
    repo: &dyn ResourceRepository,
    def: &'static ResourceDef,
    owner: UserId,
    n: usize,
) -> Record {
    let record = sample(repo, def, owner, n).await;
    let create =
        event(&format!("{}.create", def.element), Some(DEFAULT)).target(def.element, record.id);
    repo.insert(def, &record, &create).await.unwrap();
    record
}

/// The `n`th sample object of `def` (its parents inserted, it not).
pub async fn sample(
    repo: &dyn ResourceRepository,
    def: &'static ResourceDef,
    owner: UserId,
    n: usize,
) -> Record {
    let mut values = Vec::with_capacity(def.fields.len());
    for (position, field) in def.fields.iter().enumerate() {
        values.push(sample_value(repo, field, position, owner, n).await);
    }
    let at = now();
    Record {
        id: Uuid::now_v7(),
        tenant_id: DEFAULT,
        owner_id: owner.0,
        created_at: at,
        updated_at: at,
        values,
    }
}

fn page(per_page: u32) -> ListQuery {
    ListQuery {
        tenant_id: Some(DEFAULT),
        page: 1,
        per_page,
        ..ListQuery::default()
    }
}

/// A time as fixed-width text, so that text order is time order.
fn instant(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Orders values of one field like the databases do (text by code point).
fn rank(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Text(text) => text.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Date(date) => date.to_string(),
        Value::Time(time) => instant(*time),
        Value::Id(id) => id.to_string(),
    }
}

/// Create, read, list (tenant and owner scope, every filter, search with literal `%` and
/// `_`, every ordering, pages past the end), update, delete; and a parent with children
/// cannot go.
pub async fn crud_and_listing(
    users: &dyn UserRepository,
    repo: &dyn ResourceRepository,
    def: &'static ResourceDef,
) {
    let (a, b) = (
        new_user(&format!("{}-a", def.element)),
        new_user(&format!("{}-b", def.element)),
    );
    for user in [&a, &b] {
        let created = event("user.create", Some(DEFAULT)).target("user", user.id);
        users.insert(user, &[], &created).await.unwrap();
    }
    // Parents made along the way are owned by `a` too: count only this resource.
    let mine = vec![
        insert_sample(repo, def, a.id, 1).await,
        insert_sample(repo, def, a.id, 2).await,
        insert_sample(repo, def, b.id, 3).await,
    ];
    for record in &mine {
        assert_eq!(
            repo.get(def, record.id).await.unwrap().as_ref(),
            Some(record)
        );
    }
    let ids = |records: &[Record]| -> Vec<Uuid> { records.iter().map(|r| r.id).collect() };
    let all = repo.list(def, &page(50)).await.unwrap();
    let found: Vec<Uuid> = ids(&all.items)
        .into_iter()
        .filter(|id| mine.iter().any(|m| m.id == *id))
        .collect();
    assert_eq!(found.len(), 3, "{}: {all:?}", def.element);
    let total = all.total;
    assert_eq!(total as usize, all.items.len());

    // Scoping: another tenant sees nothing, an owner filter only that owner's.
    let elsewhere = ListQuery {
        tenant_id: Some(Uuid::now_v7()),
        ..page(50)
    };
    assert_eq!(repo.list(def, &elsewhere).await.unwrap().total, 0);
    let of_b = repo
        .list(
            def,
            &ListQuery {
                owner_id: Some(b.id.0),
                ..page(50)
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(&of_b.items), vec![mine[2].id]);

    // Every filter finds exactly the objects with that value.
    for field in def.filterable() {
        let Some(i) = def.index_of(field.name) else {
            continue;
        };
        let wanted = mine[0].values[i].clone();
        let filtered = repo
            .list(
                def,
                &ListQuery {
                    filters: vec![(field.name, wanted.clone())],
                    ..page(50)
                },
            )
            .await
            .unwrap();
        assert!(
            !filtered.items.is_empty(),
            "{}: filter {}",
            def.element,
            field.name
        );
        assert!(
            filtered.items.iter().all(|r| r.values[i] == wanted),
            "{}: filter {}",
            def.element,
            field.name
        );
        assert_eq!(filtered.total as usize, filtered.items.len());
    }

    // Search: case-insensitive, literal `%` and `_`.
    for field in def.searchable() {
        let Some(i) = def.index_of(field.name) else {
            continue;
        };
        let Value::Text(text) = &mine[1].values[i] else {
            continue;
        };
        let needle = text.to_uppercase();
        let hits = repo
            .list(
                def,
                &ListQuery {
                    search: Some(needle),
                    ..page(50)
                },
            )
            .await
            .unwrap();
        assert!(
            ids(&hits.items).contains(&mine[1].id),
            "{}: search {}",
            def.element,
            field.name
        );
    }
    if def.searchable().next().is_some() {
        let underscore = repo
            .list(
                def,
                &ListQuery {
                    search: Some("_".into()),
                    ..page(50)
                },
            )
            .await
            .unwrap();
        assert!(
            underscore
                .items
                .iter()
                .all(|r| r.values.iter().any(|v| rank(v).contains('_'))),
            "{}: `_` is a wildcard",
            def.element
        );
    }

    // Every ordering, both ways, by the value (ties: newest first).
    for column in def.orderable() {
        for descending in [false, true] {
            let ordered = repo
                .list(
                    def,
                    &ListQuery {
                        ordering: vec![Ordering {
                            field: column.into(),
                            descending,
                        }],
                        ..page(50)
                    },
                )
                .await
                .unwrap();
            let keys: Vec<String> = ordered
                .items
                .iter()
                .map(|r| match def.index_of(column) {
                    Some(i) => rank(&r.values[i]),
                    None if column == "created_at" => instant(r.created_at),
                    None => instant(r.updated_at),
                })
                .collect();
            let mut sorted = keys.clone();
            sorted.sort();
            if descending {
                sorted.reverse();
            }
            assert_eq!(
                keys, sorted,
                "{}: ordering by {column} (descending: {descending})",
                def.element
            );
        }
    }

    // Pages, and a page past the end that still knows the total.
    let second = repo
        .list(
            def,
            &ListQuery {
                per_page: 2,
                page: 2,
                ..page(2)
            },
        )
        .await
        .unwrap();
    assert_eq!(second.total, total);
    assert_eq!(
        second.items.len(),
        (total as usize).saturating_sub(2).min(2)
    );
    // A page past the end of a whole tenant's list: its total is the one the database
    // keeps, not one the page tells.
    let past_the_end = ListQuery {
        page: 1000,
        ..page(2)
    };
    let beyond = repo.list(def, &past_the_end).await.unwrap();
    assert_eq!((beyond.items.len(), beyond.total), (0, total));

    // A taken unique value is a conflict on its field.
    for (field, _) in def.unique_fields() {
        let Some(i) = def.index_of(field.name) else {
            continue;
        };
        let mut twin = sample(repo, def, a.id, 8).await;
        twin.values[i] = mine[0].values[i].clone();
        if let Some(Unique::Within(scope)) = field.unique {
            if let Some(j) = def.index_of(scope) {
                twin.values[j] = mine[0].values[j].clone();
            }
        }
        let create =
            event(&format!("{}.create", def.element), Some(DEFAULT)).target(def.element, twin.id);
        match repo.insert(def, &twin, &create).await {
            Err(RepoError::Conflict(taken)) => assert_eq!(taken, field.name, "{}", def.element),
            other => panic!("{}: a taken {}: {other:?}", def.element, field.name),
        }
    }

    // Update writes every field and the time; a missing object is not updated.
    let mut changed = sample(repo, def, a.id, 7).await;
    changed.id = mine[0].id;
    changed.created_at = mine[0].created_at;
    changed.updated_at = now() + Duration::seconds(1);
    let update =
        event(&format!("{}.update", def.element), Some(DEFAULT)).target(def.element, changed.id);
    assert_eq!(
        repo.update(def, &changed, &update).await.unwrap().as_ref(),
        Some(&changed)
    );
    assert_eq!(
        repo.get(def, changed.id).await.unwrap().as_ref(),
        Some(&changed)
    );
    let ghost = Record {
        id: Uuid::now_v7(),
        ..changed.clone()
    };
    assert!(repo.update(def, &ghost, &update).await.unwrap().is_none());

    // Delete once.
    let delete =
        event(&format!("{}.delete", def.element), Some(DEFAULT)).target(def.element, changed.id);
    assert!(repo.delete(def, changed.id, &delete).await.unwrap());
    assert!(!repo.delete(def, changed.id, &delete).await.unwrap());
    assert!(repo.get(def, changed.id).await.unwrap().is_none());

    // The kept total follows the delete, and matches the rows of its owners (a and b own
    // them all) counted.
    let kept = repo.list(def, &past_the_end).await.unwrap().total;
    assert_eq!(kept, total - 1, "{}", def.element);
    let mut counted = 0;
    for owner in [a.id.0, b.id.0] {
        let narrowed = ListQuery {
            owner_id: Some(owner),
            ..past_the_end.clone()
        };
        counted += repo.list(def, &narrowed).await.unwrap().total;
    }
    assert_eq!(counted, kept, "{}", def.element);

    // A parent with a child cannot be deleted.
    if let Some((field, parent)) = def.parents().next() {
        let Some(i) = def.index_of(field.name) else {
            return;
        };
        let Some(parent_id) = mine[1].values[i].as_id() else {
            return;
        };
        let delete = event(&format!("{}.delete", parent.element), Some(DEFAULT))
            .target(parent.element, parent_id);
        match repo.delete(parent, parent_id, &delete).await {
            Err(RepoError::Referenced(_)) => {}
            other => panic!(
                "{}: deleting a parent with children: {other:?}",
                def.element
            ),
        }
        assert!(repo.get(parent, parent_id).await.unwrap().is_some());
    }
}
