//! The chats API workload `bench-api` and `bench-scaleout` share: how to call a server
//! (in-process or over HTTP), a generated data set written through the API's own routes, and
//! the scenarios wrk cycles through.

pub mod native;
pub mod scenarios;
pub mod seed;
pub mod target;
