//! Test-server harness.
