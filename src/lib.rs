//! mirrorforge: a self-hosted Git server centred on per-repository mirroring.
//!
//! Map: [`config`] reads the settings, [`server`] wires state and starts HTTP, [`web`] holds the
//! routes (JSON API, HTML pages, git smart HTTP), [`accounts`] and [`repos`] are the services,
//! [`git`] does all git I/O, [`entities`] are the tables, [`auth`] says who is calling.

pub mod accounts;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod entities;
pub mod error;
pub mod git;
pub mod mirror;
pub mod names;
pub mod net;
pub mod repos;
pub mod server;
pub mod state;
pub mod web;
