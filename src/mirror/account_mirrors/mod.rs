//! Account mirrors: every repository of an account on another forge (a GitHub or Gitea
//! organisation or user, a GitLab group), read from the forge's listing (`providers`, one
//! account's pages: `listing`) and turned into what a discovery changes here (`plan`); the
//! token's reach (`token_scope`), and an account mirror's fields checked (`spec`) and kept
//! (`store`). A discovery (`discover`) runs under a claim (`claim`), on its schedule
//! (`schedule`), and applies its plan here (`reconcile`).

pub mod claim;
pub mod discover;
pub mod listing;
pub mod plan;
pub mod providers;
pub mod reconcile;
pub mod schedule;
pub mod spec;
pub mod store;
pub mod token_scope;
