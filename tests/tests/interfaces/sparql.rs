//! `/sparql`: protocol variants, formats, read-only, limits, and agreement with the API.
