//! Query languages the simulated APIs accept: OData (`$filter`, `$orderby`, `$select`) for
//! VSA X, VSA 9 and the Data Warehouse, and Autotask's JSON query body.

pub mod autotask;
pub mod odata;
