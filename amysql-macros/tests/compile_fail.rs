//! One compile-fail case per error message of the derives and the `query!` macros; the
//! expected compiler output is in the `.stderr` file next to each case
//! (regenerate with `TRYBUILD=overwrite cargo test -p amysql-macros`, then review).

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
