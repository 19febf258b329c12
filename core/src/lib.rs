//! mspkit-core: a sans-IO client core for Kaseya VSA X, Kaseya VSA 9 (REST and Data
//! Warehouse) and Autotask PSA.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub(crate) mod classify;
pub mod error;
pub(crate) mod json;
pub mod odata;
pub mod request;
pub(crate) mod timestamp;
pub(crate) mod vendors;
pub mod secret;
pub mod tenant_url;
pub mod vendor;

pub use error::{Error, ErrorCode};
pub use secret::Secret;
pub use vendor::Vendor;
