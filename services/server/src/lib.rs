//! The `herold` binary: configuration, the command line, and the HTTP server.

mod api;
pub mod cli;
pub mod config;
mod error;
mod jobs;
mod mail;
pub(crate) mod routes;
mod security_log;
pub(crate) mod staff;
pub mod startup;
pub mod state;
pub mod telemetry;
mod tls;
mod websub;

pub use error::ApiError;
