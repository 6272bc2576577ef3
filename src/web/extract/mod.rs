//! Request extractors shared by the API and the pages: who is calling ([`caller`]), which
//! repository they may use and how ([`repo_access`]; a push mirror of it, [`push_mirror_access`];
//! for git and LFS clients, [`git_access`]; an organisation, [`org_access`]; an account
//! mirror, [`account_mirror_access`]),
//! the body and query in the contract's error shape ([`input`]), a form whose CSRF token was
//! checked ([`csrf_form`]), the client's address and the public base URL ([`origin`]).

pub mod account_mirror_access;
pub mod caller;
pub mod csrf_form;
pub mod git_access;
pub mod input;
pub mod org_access;
pub mod origin;
pub mod push_mirror_access;
pub mod repo_access;

pub use account_mirror_access::{ApiAccountMirror, PageAccountMirror};
pub use caller::{ApiUser, WebUser};
pub use csrf_form::CsrfForm;
pub use input::{ApiJson, ApiQuery, OptionalApiJson};
pub use org_access::{Member, PageOrg};
pub use origin::{BaseUrl, ClientAddr};
pub use push_mirror_access::{ApiPushMirror, PushMirrorAccess};
pub use repo_access::{Admin, ApiRepo, PageRepo, Read, Write};
