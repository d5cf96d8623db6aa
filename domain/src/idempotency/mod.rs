//! Replies remembered for the `Idempotency-Key` header of REST pushes: claiming a key,
//! storing the reply, replaying it (see [`service`]). The header itself is read in
//! `rest/kpis.rs`; the rows are written here, as every write goes through a service.

pub mod service;
