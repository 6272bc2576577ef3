//! The Git LFS batch API (basic transfer adapter): the request, the answer, and what the server
//! says for each object. A download is offered only for an object the repository references;
//! an upload is skipped only when the repository already has the object.

use std::collections::{BTreeMap, HashSet};

use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};

use super::{
    links,
    store::{LfsStore, Oid},
};
use crate::error::Error;

/// The media type of every LFS request and answer (errors too).
pub const MEDIA_TYPE: &str = "application/vnd.git-lfs+json";

/// The most objects one batch request may name.
pub const MAX_OBJECTS: usize = 10_000;

/// The largest batch request body, in bytes.
pub const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;

/// What the client wants to do with the objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    /// Fetch them (needs read access).
    Download,
    /// Send them (needs write access).
    Upload,
}

/// A batch request (received by the server, sent by a mirror's client).
#[derive(Debug, Serialize, Deserialize)]
pub struct BatchRequest {
    /// Download or upload.
    pub operation: Operation,
    /// The transfer adapters the client knows; omitted means `basic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfers: Option<Vec<String>>,
    /// The ref the objects belong to (accepted, not used).
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<serde_json::Value>,
    /// The objects, by oid and size.
    pub objects: Vec<ObjectSpec>,
    /// The hash the oids are made with; omitted means `sha256`, the only one there is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_algo: Option<String>,
}

/// One object a request names, as given (checked per object: a bad one fails only itself).
#[derive(Debug, Serialize, Deserialize)]
pub struct ObjectSpec {
    /// Its oid, as the client wrote it.
    pub oid: String,
    /// Its size in bytes, as the client wrote it.
    pub size: i64,
}

/// The answer to a batch request.
#[derive(Debug, Serialize)]
pub struct BatchResponse {
    /// Always `basic`.
    pub transfer: &'static str,
    /// One answer per object, in the order asked.
    pub objects: Vec<ObjectAnswer>,
    /// Always `sha256`.
    pub hash_algo: &'static str,
}

/// What the server says about one object: actions to take (none for an upload the server
/// already has), or an error (sent by the server, read by a mirror's client).
#[derive(Debug, Serialize, Deserialize)]
pub struct ObjectAnswer {
    /// The oid as asked.
    pub oid: String,
    /// The size (the stored one for a download).
    pub size: i64,
    /// The actions carry their own credentials (the caller's), so the client needs no more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authenticated: Option<bool>,
    /// What to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Actions>,
    /// Why this object cannot be transferred.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ObjectError>,
}

/// The requests the client makes for one object.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Actions {
    /// `GET` the content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download: Option<ObjectAction>,
    /// `PUT` the content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload: Option<ObjectAction>,
    /// `POST {"oid","size"}` once uploaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify: Option<ObjectAction>,
}

/// One request to make: where, and with which headers (credentials: its `Debug` shows only
/// their names).
#[derive(Serialize, Deserialize)]
pub struct ObjectAction {
    /// Absolute URL.
    pub href: String,
    /// Headers to send with it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub header: BTreeMap<String, String>,
}

impl std::fmt::Debug for ObjectAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectAction")
            .field("href", &self.href)
            .field("header", &self.header.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A per-object error.
#[derive(Debug, Serialize, Deserialize)]
pub struct ObjectError {
    /// 404 (no such object here) or 422 (a bad oid or size).
    pub code: u16,
    /// A sentence for the user.
    pub message: String,
}

/// Why a whole batch request is refused.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// An oid hash other than SHA-256 (422).
    #[error("the hash algorithm {0:?} is not supported; use sha256")]
    HashAlgo(String),
    /// The client offers no transfer adapter the server speaks (422).
    #[error("only the basic transfer adapter is supported")]
    NoBasicTransfer,
    /// More objects than one request may name (413).
    #[error("a batch request may name at most {MAX_OBJECTS} objects, not {0}")]
    TooManyObjects(usize),
    /// The database failed (500).
    #[error(transparent)]
    Internal(#[from] Error),
}

/// One repository's batch endpoint (it holds the caller's credentials: no `Debug`).
pub struct BatchEndpoint<'a> {
    /// The database.
    pub db: &'a DatabaseConnection,
    /// The objects on disk.
    pub store: &'a LfsStore,
    /// The repository asked about.
    pub repository_id: i64,
    /// Its LFS URL, absolute: `https://host/OWNER/NAME.git/info/lfs`.
    pub endpoint: String,
    /// Headers each action carries (the caller's `Authorization`, so a transfer authenticates
    /// as the batch request did).
    pub header: BTreeMap<String, String>,
    /// The largest object accepted for upload, in bytes.
    pub max_object_size: u64,
}

impl BatchEndpoint<'_> {
    /// Answers `request`, object by object.
    ///
    /// # Errors
    /// The request as a whole is refused, or the database failed.
    pub async fn answer(&self, request: BatchRequest) -> Result<BatchResponse, BatchError> {
        if let Some(algo) = request.hash_algo.filter(|a| a != "sha256") {
            return Err(BatchError::HashAlgo(algo));
        }
        if request
            .transfers
            .as_ref()
            .is_some_and(|t| !t.is_empty() && !t.iter().any(|t| t == "basic"))
        {
            return Err(BatchError::NoBasicTransfer);
        }
        if request.objects.len() > MAX_OBJECTS {
            return Err(BatchError::TooManyObjects(request.objects.len()));
        }
        let oids: Vec<Oid> = request
            .objects
            .iter()
            .filter_map(|o| Oid::parse(&o.oid).ok())
            .collect();
        let linked = links::linked_among(self.db, self.repository_id, &oids).await?;
        let mut objects = Vec::with_capacity(request.objects.len());
        for spec in request.objects {
            objects.push(self.decide(request.operation, spec, &linked).await);
        }
        Ok(BatchResponse {
            transfer: "basic",
            objects,
            hash_algo: "sha256",
        })
    }

    async fn decide(
        &self,
        operation: Operation,
        spec: ObjectSpec,
        linked: &HashSet<Oid>,
    ) -> ObjectAnswer {
        let oid = match Oid::parse(&spec.oid) {
            Ok(oid) => oid,
            Err(message) => return failed(spec, 422, message.to_string()),
        };
        let Ok(size) = u64::try_from(spec.size) else {
            return failed(spec, 422, "the size must not be negative".to_owned());
        };
        // Only what this repository references; the disk may hold it for another one.
        let stored = if linked.contains(&oid) {
            self.store.size_of(&oid).await
        } else {
            None
        };
        let mut actions = Actions::default();
        match operation {
            Operation::Download => {
                let Some(stored) = stored else {
                    return failed(spec, 404, format!("object {oid} not found"));
                };
                actions.download = Some(self.action(&format!("/objects/{oid}")));
                return ObjectAnswer {
                    size: i64::try_from(stored).unwrap_or(spec.size),
                    ..granted(spec, actions)
                };
            }
            Operation::Upload if size > self.max_object_size => {
                return failed(
                    spec,
                    422,
                    format!(
                        "the object is {size} bytes, larger than this server's limit of {} bytes",
                        self.max_object_size
                    ),
                );
            }
            // Already here: no actions, and the client skips it.
            Operation::Upload if stored == Some(size) => {
                return ObjectAnswer {
                    actions: None,
                    ..granted(spec, actions)
                };
            }
            Operation::Upload => {
                actions.upload = Some(self.action(&format!("/objects/{oid}")));
                actions.verify = Some(self.action("/verify"));
            }
        }
        granted(spec, actions)
    }

    fn action(&self, path: &str) -> ObjectAction {
        ObjectAction {
            href: format!("{}{path}", self.endpoint),
            header: self.header.clone(),
        }
    }
}

fn granted(spec: ObjectSpec, actions: Actions) -> ObjectAnswer {
    ObjectAnswer {
        oid: spec.oid,
        size: spec.size,
        authenticated: Some(true),
        actions: Some(actions),
        error: None,
    }
}

fn failed(spec: ObjectSpec, code: u16, message: String) -> ObjectAnswer {
    ObjectAnswer {
        oid: spec.oid,
        size: spec.size,
        authenticated: None,
        actions: None,
        error: Some(ObjectError { code, message }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_action_shows_no_credentials() {
        let action = ObjectAction {
            href: "http://h/o/r.git/info/lfs/objects/x".to_owned(),
            header: BTreeMap::from([("Authorization".to_owned(), "Basic c2VjcmV0".to_owned())]),
        };
        let shown = format!("{action:?}");
        assert!(
            shown.contains("Authorization") && !shown.contains("c2VjcmV0"),
            "{shown}"
        );
    }
}
