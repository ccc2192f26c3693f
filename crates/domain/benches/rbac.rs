//! Cost of the RBAC evaluator: `Subject::decide` (the per-request authorization question) and
//! `Subject::new` (indexing a user's rules once per request), on a realistic random policy of
//! 20 roles × 18 elements and users with 1–3 roles.
//!
//! With `--features bench-casbin` the same decisions also run through casbin's RBAC model
//! (role inheritance `g`, one policy line per flag) as a reference point:
//!
//! ```sh
//! cargo bench -p castellan-domain --bench rbac --features bench-casbin
//! ```

use castellan_domain::rbac::{AccessFlags, AccessRule, Action, Subject};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use std::hint::black_box;
use uuid::Uuid;

/// The contract's business elements.
const ELEMENTS: [&str; 18] = [
    "user",
    "role",
    "user_role",
    "access_rule",
    "tenant",
    "invitation",
    "audit_log",
    "api_key",
    "credential",
    "article",
    "project",
    "workflow",
    "task",
    "site",
    "batch",
    "serialization",
    "inspection",
    "dashboard",
];
const ROLES: usize = 20;
const USERS: usize = 256;
const QUERIES: usize = 4096;
/// Fixed seed: every run benchmarks the same policy and the same questions.
const SEED: u64 = 0x5EED_CA57_E11A_2026;

/// Knuth's MMIX linear congruential generator: deterministic, no dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn uuid(&mut self) -> Uuid {
        Uuid::from_u64_pair(
            self.next() << 31 ^ self.next(),
            self.next() << 31 ^ self.next(),
        )
    }
}

/// One generated user: an id, 1–3 distinct roles, and the rules of those roles.
struct User {
    id: Uuid,
    roles: Vec<usize>,
    rules: Vec<AccessRule>,
}

/// One question: may `user` do `action` on `element` (owned by `owner`)?
struct Query {
    user: usize,
    element: &'static str,
    action: Action,
    owner: Option<Uuid>,
}

struct Policy {
    role_names: Vec<String>,
    /// Every rule of every role.
    rules: Vec<AccessRule>,
    users: Vec<User>,
    queries: Vec<Query>,
}

impl Policy {
    fn generate() -> Self {
        let mut rng = Lcg(SEED);
        let role_names: Vec<String> = (0..ROLES).map(|r| format!("role-{r:02}")).collect();
        let mut rules = Vec::new();
        for (role, name) in role_names.iter().enumerate() {
            let role_id = Uuid::from_u128(role as u128 + 1);
            for element in ELEMENTS {
                // a role has rules for about two thirds of the elements
                if !rng.chance(65) {
                    continue;
                }
                let flags = AccessFlags {
                    can_read_own: rng.chance(50),
                    can_read_all: rng.chance(30),
                    can_create: rng.chance(35),
                    can_update_own: rng.chance(35),
                    can_update_all: rng.chance(15),
                    can_delete_own: rng.chance(25),
                    can_delete_all: rng.chance(10),
                };
                rules.push(AccessRule {
                    id: rng.uuid(),
                    role_id,
                    role: name.clone(),
                    element: element.to_owned(),
                    flags,
                });
            }
        }
        let users: Vec<User> = (0..USERS)
            .map(|_| {
                let count = 1 + rng.below(3);
                let mut roles = Vec::with_capacity(count);
                while roles.len() < count {
                    let role = rng.below(ROLES);
                    if !roles.contains(&role) {
                        roles.push(role);
                    }
                }
                let user_rules = rules
                    .iter()
                    .filter(|rule| roles.iter().any(|&r| rule.role == role_names[r]))
                    .cloned()
                    .collect();
                User {
                    id: rng.uuid(),
                    roles,
                    rules: user_rules,
                }
            })
            .collect();
        let queries = (0..QUERIES)
            .map(|_| {
                let user = rng.below(USERS);
                let owner = match rng.below(3) {
                    0 => None,
                    1 => Some(users[user].id),
                    _ => Some(users[rng.below(USERS)].id),
                };
                Query {
                    user,
                    element: ELEMENTS[rng.below(ELEMENTS.len())],
                    action: Action::ALL[rng.below(Action::ALL.len())],
                    owner,
                }
            })
            .collect();
        Self {
            role_names,
            rules,
            users,
            queries,
        }
    }

    fn subjects(&self) -> Vec<Subject> {
        self.users
            .iter()
            .map(|u| Subject::new(u.id, false, u.rules.clone()))
            .collect()
    }
}

fn bench_castellan(c: &mut Criterion) {
    let policy = Policy::generate();
    let subjects = policy.subjects();
    let allowed = policy
        .queries
        .iter()
        .filter(|q| subjects[q.user].allows(q.element, q.action, q.owner))
        .count();
    let per_user = |count: fn(&User) -> usize| {
        policy.users.iter().map(count).sum::<usize>() as f64 / USERS as f64
    };
    println!(
        "policy: {} roles, {} rules, {USERS} users ({:.1} roles, {:.1} rules each), \
         {QUERIES} questions ({allowed} allowed)",
        policy.role_names.len(),
        policy.rules.len(),
        per_user(|u| u.roles.len()),
        per_user(|u| u.rules.len()),
    );

    let mut group = c.benchmark_group("rbac");
    let mut i = 0usize;
    group.bench_function("castellan_decide", |b| {
        b.iter(|| {
            let q = &policy.queries[i % QUERIES];
            i = i.wrapping_add(1);
            black_box(subjects[q.user].decide(black_box(q.element), q.action, q.owner))
        })
    });
    let mut i = 0usize;
    group.bench_function("castellan_allows", |b| {
        b.iter(|| {
            let q = &policy.queries[i % QUERIES];
            i = i.wrapping_add(1);
            black_box(subjects[q.user].allows(black_box(q.element), q.action, q.owner))
        })
    });
    let mut u = 0usize;
    group.bench_function("castellan_subject_new", |b| {
        b.iter_batched(
            || {
                let user = &policy.users[u % USERS];
                u = u.wrapping_add(1);
                (user.id, user.rules.clone())
            },
            |(id, rules)| black_box(Subject::new(id, false, rules)),
            BatchSize::SmallInput,
        )
    });
    group.finish();

    #[cfg(feature = "bench-casbin")]
    casbin_reference::bench(c, &policy, &subjects);
}

/// The same questions through casbin: `p = sub, obj, act` lines per role, element and flag
/// (`read_own`, `read_all`, `create`, ...; a `*_all` flag also writes its `*_own` line, as
/// `*_all` implies `*_own`), `g = user, role` for the assignments. The matcher tests the cheap
/// string equalities before the role lookup `g` (casbin scans every policy line through its
/// rhai matcher; with `g(...)` first it is about 1.8× slower still).
#[cfg(feature = "bench-casbin")]
mod casbin_reference {
    use super::{Policy, Query, QUERIES};
    use casbin::prelude::*;
    use castellan_domain::rbac::{Action, Subject};
    use criterion::Criterion;
    use std::hint::black_box;

    const MODEL: &str = r#"
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.obj == p.obj && r.act == p.act && g(r.sub, p.sub)
"#;

    async fn enforcer(policy: &Policy) -> casbin::Result<Enforcer> {
        let model = DefaultModel::from_str(MODEL).await?;
        let mut enforcer = Enforcer::new(model, MemoryAdapter::default()).await?;
        let mut lines = Vec::new();
        for rule in &policy.rules {
            let f = rule.flags.normalized();
            let acts = [
                (f.can_read_own, "read_own"),
                (f.can_read_all, "read_all"),
                (f.can_create, "create"),
                (f.can_update_own, "update_own"),
                (f.can_update_all, "update_all"),
                (f.can_delete_own, "delete_own"),
                (f.can_delete_all, "delete_all"),
            ];
            for (_, act) in acts.into_iter().filter(|(on, _)| *on) {
                lines.push(vec![
                    rule.role.clone(),
                    rule.element.clone(),
                    act.to_owned(),
                ]);
            }
        }
        enforcer.add_policies(lines).await?;
        let groupings = policy
            .users
            .iter()
            .flat_map(|u| {
                u.roles
                    .iter()
                    .map(|&r| vec![u.id.to_string(), policy.role_names[r].clone()])
            })
            .collect();
        enforcer.add_grouping_policies(groupings).await?;
        Ok(enforcer)
    }

    /// The evaluator's `allowed`, through casbin (at most two `enforce` calls).
    fn allows(enforcer: &Enforcer, user: &str, user_id: uuid::Uuid, q: &Query) -> bool {
        let enforce = |act: &str| enforcer.enforce((user, q.element, act)).unwrap_or(false);
        let (all, own) = match q.action {
            Action::Create => return enforce("create"),
            Action::Read => ("read_all", "read_own"),
            Action::Update => ("update_all", "update_own"),
            Action::Delete => ("delete_all", "delete_own"),
        };
        enforce(all) || (q.owner.is_none_or(|owner| owner == user_id) && enforce(own))
    }

    pub(super) fn bench(c: &mut Criterion, policy: &Policy, subjects: &[Subject]) {
        let enforcer = match tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| e.to_string())
            .and_then(|rt| rt.block_on(enforcer(policy)).map_err(|e| e.to_string()))
        {
            Ok(enforcer) => enforcer,
            Err(e) => panic!("casbin enforcer: {e}"),
        };
        let user_names: Vec<String> = policy.users.iter().map(|u| u.id.to_string()).collect();
        println!(
            "casbin: {} policy lines (p), {} role assignments (g)",
            enforcer.get_policy().len(),
            enforcer.get_grouping_policy().len(),
        );

        // The reference must agree with the evaluator on every question.
        for q in &policy.queries {
            let ours = subjects[q.user].allows(q.element, q.action, q.owner);
            let theirs = allows(&enforcer, &user_names[q.user], policy.users[q.user].id, q);
            assert_eq!(
                ours, theirs,
                "casbin disagrees on {:?} {} {:?}",
                q.action, q.element, q.owner
            );
        }

        let mut group = c.benchmark_group("rbac");
        let mut i = 0usize;
        group.bench_function("casbin_enforce", |b| {
            b.iter(|| {
                let q = &policy.queries[i % QUERIES];
                i = i.wrapping_add(1);
                black_box(allows(
                    &enforcer,
                    &user_names[q.user],
                    policy.users[q.user].id,
                    black_box(q),
                ))
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench_castellan);
criterion_main!(benches);
