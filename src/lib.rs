//! opsdeck: a terminal ops-center for Kubernetes operators.
//!
//! Data flows one way: sources (tasks) send [`update::Update`]s to the UI task, which applies
//! them to [`state::AppState`] and renders it; keys become [`action::Action`]s; mutations go as
//! [`command::Command`]s to the executor, whose outcomes come back as updates. The
//! [`supervisor::Supervisor`] owns every task but the UI loop.

#![warn(clippy::unwrap_used)]
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::dbg_macro)]

pub mod action;
pub mod app;
pub mod cli;
pub mod cluster;
pub mod command;
pub mod config;
pub mod error;
pub mod exec;
pub mod export;
pub mod http;
pub mod identity;
pub mod launch;
pub mod logging;
pub mod memory;
pub mod model;
pub mod redact;
pub mod sanitize;
pub mod sources;
pub mod state;
pub mod supervisor;
pub mod terminal;
pub mod ui;
pub mod update;
