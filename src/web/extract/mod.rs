//! Request extractors shared by the API and the pages: who is calling ([`caller`]), which
//! repository they may use and how ([`repo_access`]; for git and LFS clients, [`git_access`]),
//! the body and query in the contract's error shape ([`input`]), the client's address and the
//! public base URL ([`origin`]).

pub mod caller;
pub mod git_access;
pub mod input;
pub mod origin;
pub mod repo_access;

pub use caller::{ApiUser, WebUser};
pub use input::{ApiJson, ApiQuery};
pub use origin::{BaseUrl, ClientAddr};
pub use repo_access::{Admin, ApiRepo, PageRepo, Read};
