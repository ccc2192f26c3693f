//! # castellan-server
//!
//! The composition root: reads the configuration, picks and builds the adapters, wires the
//! use cases and serves the HTTP API. [`commands`] is the CLI (`main.rs` only calls it); the
//! black-box tests call [`startup::Application::build`] directly.

pub mod cli;
pub mod commands;
pub mod gauges;
pub mod settings;
pub mod startup;
pub mod telemetry;

pub use settings::{Settings, SettingsError};
pub use startup::{Application, StartupError};
