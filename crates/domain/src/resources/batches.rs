//! Pharma batches: what a site makes, with the batch status machine and its release rule.

use super::{INSPECTIONS, SITES};
use crate::resource::{Change, Fact, Field, Problem, ResourceDef, Rules, Value, Violation};
use std::fmt;

/// The fact [`BATCHES`] asks for: the batch has an inspection whose result is `pass`.
pub const PASSED_INSPECTION: &str = "passed_inspection";

/// `/batches`: made at an active site; created `planned`, then moved by [`transition`].
pub const BATCHES: ResourceDef = ResourceDef::new(
    "batch",
    "batches",
    "Batch",
    "Pharma production batches, guarded by the access rules of the element `batch`. Created `planned`; `planned`/`quarantined` → `released` only with an inspection whose result is `pass`; `released` → `quarantined`; any → `recalled` (final); any other change of `status` is 409. A batch with serializations or inspections cannot be deleted (409).",
    &[
        Field::parent("site_id", &SITES)
            .about("Its site: one the caller may read (else 400), and active (else 409)."),
        Field::code("product_code", 50)
            .searchable()
            .about("1–50 of `[A-Za-z0-9._-]`."),
        Field::code("lot_number", 50)
            .orderable()
            .searchable()
            .unique_within("site_id")
            .about("1–50 of `[A-Za-z0-9._-]`, unique at its site (else 409)."),
        Field::timestamp("manufactured_at")
            .orderable()
            .about("RFC 3339."),
        Field::timestamp("expires_at")
            .orderable()
            .about("RFC 3339, after `manufactured_at` (else 400)."),
        Field::one_of("status", BatchStatus::NAMES)
            .default_text("planned")
            .about("`planned` on create; then as the status machine allows (else 409)."),
    ],
)
.with_rules(Rules {
    on_write: Some(check_batch),
    on_delete: None,
})
.with_facts(&[Fact::HasChild {
    name: PASSED_INSPECTION,
    child: || &INSPECTIONS,
    via: "batch_id",
    field: "result",
    equals: "pass",
}]);

/// Where a batch is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BatchStatus {
    /// Being made; every batch starts here.
    Planned,
    /// Cleared for distribution by a passing inspection.
    Released,
    /// Held back for investigation.
    Quarantined,
    /// Withdrawn for good.
    Recalled,
}

impl BatchStatus {
    /// Every status, in the order of [`Self::NAMES`].
    pub const ALL: [BatchStatus; 4] = [
        BatchStatus::Planned,
        BatchStatus::Released,
        BatchStatus::Quarantined,
        BatchStatus::Recalled,
    ];

    /// The statuses' names, as the API spells them.
    pub const NAMES: &'static [&'static str] = &["planned", "released", "quarantined", "recalled"];

    /// The name the API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Planned => "planned",
            BatchStatus::Released => "released",
            BatchStatus::Quarantined => "quarantined",
            BatchStatus::Recalled => "recalled",
        }
    }

    /// The status called `name`.
    ///
    /// ```
    /// use castellan_domain::resources::BatchStatus;
    /// assert_eq!(BatchStatus::parse("released"), Some(BatchStatus::Released));
    /// assert_eq!(BatchStatus::parse("Released"), None);
    /// ```
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for BatchStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the status machine refused a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionRefused {
    /// Release needs an inspection whose result is `pass`.
    #[error("a batch is released only with an inspection whose result is pass")]
    NoPassingInspection,
    /// `recalled` is final.
    #[error("a recalled batch stays recalled")]
    Final,
    /// The machine has no such edge.
    #[error("a {from} batch cannot become {to}")]
    NoSuchTransition {
        /// The current status.
        from: BatchStatus,
        /// The one asked for.
        to: BatchStatus,
    },
}

/// Whether a batch may go from `from` to `to`: keeping the status is no transition;
/// `planned`/`quarantined` → `released` needs a passing inspection; `released` →
/// `quarantined`; any → `recalled`, which is final; nothing else.
///
/// ```
/// use castellan_domain::resources::{transition, BatchStatus::*, TransitionRefused};
/// assert_eq!(transition(Planned, Released, true), Ok(()));
/// assert_eq!(transition(Planned, Released, false), Err(TransitionRefused::NoPassingInspection));
/// assert_eq!(transition(Released, Quarantined, false), Ok(()));
/// assert_eq!(transition(Recalled, Planned, true), Err(TransitionRefused::Final));
/// assert!(transition(Planned, Quarantined, true).is_err());
/// ```
pub fn transition(
    from: BatchStatus,
    to: BatchStatus,
    passed_inspection: bool,
) -> Result<(), TransitionRefused> {
    use BatchStatus::*;
    match (from, to) {
        (from, to) if from == to => Ok(()),
        (Recalled, _) => Err(TransitionRefused::Final),
        (_, Recalled) | (Released, Quarantined) => Ok(()),
        (Planned | Quarantined, Released) if passed_inspection => Ok(()),
        (Planned | Quarantined, Released) => Err(TransitionRefused::NoPassingInspection),
        (from, to) => Err(TransitionRefused::NoSuchTransition { from, to }),
    }
}

fn status(value: Option<&Value>) -> Option<BatchStatus> {
    value.and_then(Value::as_text).and_then(BatchStatus::parse)
}

/// A batch write: created `planned`, expiring after it is made, at an active site (when the
/// site is set), and moved only as [`transition`] allows.
fn check_batch(change: &Change<'_>) -> Result<(), Violation> {
    let after = status(change.after("status"));
    if change.before.is_none() && after != Some(BatchStatus::Planned) {
        return Err(Violation::Field(Problem::new(
            "status",
            "a batch is created planned",
        )));
    }
    if let (Some(Value::Time(made)), Some(Value::Time(expires))) =
        (change.after("manufactured_at"), change.after("expires_at"))
    {
        if expires <= made {
            return Err(Violation::Field(Problem::new(
                "expires_at",
                "must be after manufactured_at",
            )));
        }
    }
    if change.changes("site_id")
        && change.parent_value("site_id", "is_active") == Some(&Value::Bool(false))
    {
        return Err(Violation::Conflict {
            message: "the site is inactive".into(),
            field: Some("site_id".into()),
        });
    }
    if let (Some(from), Some(to)) = (status(change.before("status")), after) {
        transition(from, to, change.context.fact(PASSED_INSPECTION)).map_err(|refused| {
            Violation::Conflict {
                message: refused.to_string(),
                field: Some("status".into()),
            }
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::BatchStatus::*;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_machine_edge_by_edge() {
        let allowed = [
            (Planned, Released, true),
            (Quarantined, Released, true),
            (Released, Quarantined, false),
            (Planned, Recalled, false),
            (Released, Recalled, false),
            (Quarantined, Recalled, false),
        ];
        for from in BatchStatus::ALL {
            for to in BatchStatus::ALL {
                for passed in [false, true] {
                    let expected = from == to
                        || allowed
                            .iter()
                            .any(|&(f, t, needs)| f == from && t == to && (passed || !needs));
                    assert_eq!(
                        transition(from, to, passed).is_ok(),
                        expected,
                        "{from} -> {to} (passed inspection: {passed})"
                    );
                }
            }
        }
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(
            transition(Quarantined, Released, false),
            Err(TransitionRefused::NoPassingInspection)
        );
        assert_eq!(
            transition(Recalled, Released, true),
            Err(TransitionRefused::Final)
        );
        assert_eq!(
            transition(Released, Planned, true),
            Err(TransitionRefused::NoSuchTransition {
                from: Released,
                to: Planned
            })
        );
        assert_eq!(
            BatchStatus::NAMES,
            BatchStatus::ALL.map(BatchStatus::as_str)
        );
    }

    fn any_status() -> impl Strategy<Value = BatchStatus> {
        prop::sample::select(BatchStatus::ALL.to_vec())
    }

    proptest! {
        /// Along any sequence of requests, the batch is released only by a request made
        /// with a passing inspection (or was already released), and once recalled it stays
        /// recalled.
        #[test]
        fn walks_respect_release_and_recall(
            steps in prop::collection::vec((any_status(), any::<bool>()), 0..40)
        ) {
            let mut current = Planned;
            for (to, passed) in steps {
                let before = current;
                if transition(current, to, passed).is_ok() {
                    current = to;
                }
                if current == Released && before != Released {
                    prop_assert!(passed);
                }
                if before == Recalled {
                    prop_assert_eq!(current, Recalled);
                }
            }
        }

        /// Keeping the status is never refused, and recall is always possible.
        #[test]
        fn staying_and_recalling_always_work(from in any_status(), passed in any::<bool>()) {
            prop_assert_eq!(transition(from, from, passed), Ok(()));
            prop_assert_eq!(transition(from, Recalled, passed), Ok(()));
        }

        /// A passing inspection only ever widens what is allowed.
        #[test]
        fn a_pass_never_forbids(from in any_status(), to in any_status()) {
            if transition(from, to, false).is_ok() {
                prop_assert!(transition(from, to, true).is_ok());
            }
        }
    }
}
