//! The binary as a whole: its modules' migrations share versions, which `migrations()` (every
//! migration linked in, as `Migrator::new` runs them) refuses, naming both.

use dynatable_migrate::Error;

#[test]
fn every_migration_of_the_binary_is_refused_when_two_share_a_version() {
    let err = dynatable_migrate::migrations().unwrap_err();
    assert!(matches!(err, Error::DuplicateVersion { .. }), "{err}");
    assert!(err.to_string().contains("give one a new version"), "{err}");
}

#[test]
fn each_module_sees_only_its_own_migrations() {
    // A prefix of module names (`migrator`, `migration_registry`) that is no module: none.
    let prefix = dynatable_migrate::migrations_in("migrations::migrat").unwrap();
    assert!(prefix.is_empty(), "{prefix:?}");
    let migrator = dynatable_migrate::migrations_in("migrations::migrator").unwrap();
    let versions: Vec<_> = migrator.iter().map(|m| m.version).collect();
    assert_eq!(versions, ["0.1.0", "0.2.0", "0.3.0", "0.4.0"]);
    assert!(migrator.iter().all(|m| m.module == "migrations::migrator"));
}
