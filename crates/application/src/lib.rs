//! # castellan-application
//!
//! Castellan's use cases. Each service is written against the traits of `castellan-ports`;
//! the `server` crate wires real adapters in.

pub mod auth;
pub mod error;
pub mod secrets;

pub use auth::{
    AuthConfig, AuthPorts, AuthService, ClientInfo, LoginInput, PasswordChangeInput, Principal,
    ProfilePatch, RegisterInput, SessionView, TokenPair, UserView,
};
pub use error::{AppError, FieldError};
