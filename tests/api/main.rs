//! Folio's integration tests: the real server on port 0, driven over HTTP, SSE and WebSocket.
//! Every suite runs on SQLite with the in-process bus; the PostgreSQL and Redis variants run when
//! `FOLIO_TEST_DATABASE_URL` / `FOLIO_TEST_REDIS_URL` are set (`.ci/run` sets both).
mod helpers;

mod accounts;
mod cart;
mod catalog;
mod catalog_admin;
mod catalog_demo;
mod catalog_pages;
mod catalog_reviews;
mod chat;
mod chat_live;
mod chat_messages;
mod chat_signals;
mod checkout;
mod checkout_recovery;
mod contract;
mod elastic;
mod http;
mod http_strictness;
mod limits;
mod limits_named;
mod orders;
mod persisted_operations;
mod presence;
mod processes;
mod search;
mod search_outbox;
mod sessions;
mod sessions_sockets;
mod stream_failures;
mod updates;
mod ws_legacy;
mod ws_protocol;
