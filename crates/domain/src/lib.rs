//! # castellan-domain
//!
//! The pure core of Castellan, the identity and access-control service: entities, value
//! objects, the rules that decide what is valid, the RBAC evaluator ([`rbac`]) that
//! decides who may do what, and the audit trail's masking, diff and hash-chain rules
//! ([`audit`]). Nothing here does IO or needs an async runtime, so other Rust
//! programs can reuse it as a plain library.
//!
//! ```
//! use castellan_domain::{Email, PasswordPolicy};
//!
//! let email = Email::parse("Alice@Example.com").unwrap();
//! assert_eq!(email.as_str(), "alice@example.com");
//! assert!(PasswordPolicy::default().check("correct horse battery", Some(&email)).is_ok());
//! ```

pub mod api_key;
pub mod audit;
pub mod claims;
pub mod credential;
pub mod email;
pub mod ids;
pub mod invitation;
pub mod lockout;
pub mod password;
pub mod rbac;
pub mod resource;
pub mod resources;
pub mod role;
pub mod session;
pub mod tenant;
pub mod user;

pub use claims::{AccessClaims, ClaimsError, TokenType};
pub use email::{Email, EmailError};
pub use ids::{SessionId, TenantId, UserId};
pub use invitation::Invitation;
pub use password::{PasswordError, PasswordPolicy};
pub use rbac::{
    AccessFlags, AccessRule, Action, Decision, ElementPermissions, MatchedRule, Owner,
    ParseActionError, Reason, Scope, Subject, Visibility,
};
pub use role::{Grant, Role, StoredRule};
pub use session::Session;
pub use tenant::Tenant;
pub use user::{Profile, User};

/// The examples of the crate's README.md, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
