//! Typed identifiers, so that a user id cannot be passed where a tenant id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered (UUID v7) identifier.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }
    };
}

id_type!(
    /// Identifies a user.
    ///
    /// ```
    /// use castellan_domain::UserId;
    /// let a = UserId::new();
    /// let b = UserId::new();
    /// assert_ne!(a, b);
    /// assert_eq!(a.as_uuid().get_version_num(), 7);
    /// ```
    UserId
);
id_type!(
    /// Identifies a tenant.
    ///
    /// ```
    /// use castellan_domain::TenantId;
    /// assert_eq!(TenantId::DEFAULT.to_string(), "00000000-0000-0000-0000-000000000001");
    /// ```
    TenantId
);
id_type!(
    /// Identifies a login session (one refresh-token family).
    ///
    /// ```
    /// use castellan_domain::SessionId;
    /// let id = SessionId::new();
    /// assert_eq!(SessionId::from(id.as_uuid()), id);
    /// ```
    SessionId
);

impl TenantId {
    /// The `default` tenant created by the first migration; self-registration lands there.
    pub const DEFAULT: TenantId = TenantId(Uuid::from_u128(1));
}
