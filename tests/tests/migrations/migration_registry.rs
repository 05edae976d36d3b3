//! `#[migration]`: registration, version order, duplicate versions, checksums, and running a
//! registered migration both ways on DynamoDB Local.

use dynatable_core::Entity;
use dynatable_migrate::{
    Context, Direction, Error, Migration, RegisteredMigration, Result, migration,
};
use dynatable_tests::TestTable;
use dynatable_tests::entities::User;

pub struct AddUserBio;

#[migration(version = "0.10.0")]
impl Migration for AddUserBio {
    async fn up(&self, ctx: &Context) -> Result<()> {
        let table = ctx.table();
        let f = User::fields();
        table
            .apply(table.scan::<User>().stream(), |u: User| {
                Some(
                    table
                        .update::<User>(u.primary_key())
                        .set(f.bio, "")
                        .condition(f.bio.not_exists())
                        .into(),
                )
            })
            .await?;
        Ok(())
    }

    async fn down(&self, ctx: &Context) -> Result<()> {
        let table = ctx.table();
        table
            .apply(table.scan::<User>().stream(), |u: User| {
                Some(
                    table
                        .update::<User>(u.primary_key())
                        .remove(User::fields().bio)
                        .into(),
                )
            })
            .await?;
        Ok(())
    }
}

pub struct LowercaseNames;

#[migration(
    version = "0.2.0",
    name = "normalize_usernames",
    irreversible = "the original case is not kept"
)]
impl Migration for LowercaseNames {
    async fn up(&self, _ctx: &Context) -> Result<()> {
        Ok(())
    }
}

mod formatted {
    use dynatable_migrate::{Context, Migration, Result, migration};

    pub struct Same;

    #[migration(version = "0.2.0-rc.1")]
    impl Migration for Same {
        async fn up(&self, _ctx: &Context) -> Result<()> {
            Ok(())
        }
        async fn down(&self, _ctx: &Context) -> Result<()> {
            Ok(())
        }
    }
}

mod reformatted {
    use dynatable_migrate::{Context, Migration, Result, migration};

    pub struct Same;

    /// Documented, commented and laid out differently: the same code.
    #[migration(version = "0.3.0")]
    impl Migration for Same {
        async fn up(
            &self,
            _ctx: &Context, // the context
        ) -> Result<()> {
            Ok(())
        }

        async fn down(&self, _ctx: &Context) -> Result<()> {
            Ok(())
        }
    }
}

mod edited {
    use dynatable_migrate::{Context, Migration, Result, migration};

    pub struct Same;

    #[migration(version = "0.4.0")]
    impl Migration for Same {
        async fn up(&self, ctx: &Context) -> Result<()> {
            let _ = ctx.table_name();
            Ok(())
        }
        async fn down(&self, _ctx: &Context) -> Result<()> {
            Ok(())
        }
    }
}

fn find(version: &str) -> &'static RegisteredMigration {
    here!().into_iter().find(|m| m.version == version).unwrap()
}

#[test]
fn migrations_are_listed_in_semver_order_with_their_names() {
    let listed: Vec<(&str, &str)> = here!().iter().map(|m| (m.version, m.name)).collect();
    assert_eq!(
        listed,
        [
            ("0.2.0-rc.1", "same"),
            ("0.2.0", "normalize_usernames"),
            ("0.3.0", "same"),
            ("0.4.0", "same"),
            ("0.10.0", "add_user_bio"),
        ]
    );
    assert_eq!(
        find("0.2.0").irreversible,
        Some("the original case is not kept")
    );
    assert_eq!(find("0.10.0").irreversible, None);
}

#[test]
fn checksums_ignore_formatting_and_comments_but_not_code() {
    assert_eq!(find("0.2.0-rc.1").checksum.len(), 64);
    assert_eq!(find("0.2.0-rc.1").checksum, find("0.3.0").checksum);
    assert_ne!(find("0.2.0-rc.1").checksum, find("0.4.0").checksum);
}

#[test]
fn duplicate_versions_are_rejected_naming_both() {
    static A: RegisteredMigration = RegisteredMigration {
        version: "1.0.0",
        name: "first",
        checksum: "",
        irreversible: None,
        module: "",
        run: |_, _| Box::pin(async { Ok(()) }),
    };
    static B: RegisteredMigration = RegisteredMigration {
        version: "1.0.0",
        name: "second",
        checksum: "",
        irreversible: None,
        module: "",
        run: |_, _| Box::pin(async { Ok(()) }),
    };
    let err = dynatable_migrate::check_versions(vec![&A, &B]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "migrations `first` and `second` both have version 1.0.0: give one a new version"
    );
}

#[tokio::test]
async fn a_registered_migration_runs_up_and_down() {
    let test = TestTable::create(&[User::SCHEMA]).await;
    let table = test.table().await;
    table
        .batch_put((0..30).map(|i| User {
            user_id: format!("u{i}"),
            username: "x".into(),
            bio: None,
        }))
        .await
        .unwrap();
    let ctx = Context::new(table.clone());
    let add_bio = find("0.10.0");

    add_bio.run(Direction::Up, &ctx).await.unwrap();
    let users = table.scan::<User>().stream();
    let users: Vec<User> = futures::TryStreamExt::try_collect(users).await.unwrap();
    assert!(users.iter().all(|u| u.bio.as_deref() == Some("")));

    add_bio.run(Direction::Down, &ctx).await.unwrap();
    let users: Vec<User> = futures::TryStreamExt::try_collect(table.scan::<User>().stream())
        .await
        .unwrap();
    assert!(users.iter().all(|u| u.bio.is_none()));

    let err = find("0.2.0").run(Direction::Down, &ctx).await.unwrap_err();
    assert!(matches!(err, Error::Irreversible { .. }));
    assert_eq!(
        err.to_string(),
        "the migration cannot be rolled back: the original case is not kept"
    );
}
