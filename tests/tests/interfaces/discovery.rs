//! `/api/openapi.json`, `/api/docs` and `/metrics`.
