//! The Elasticsearch backend against a local stub that checks its requests.
