//! `DirectRequests` on DynamoDB Local: the same writes as the SDK's, through faults, returning
//! what they wrote, and handing over to the SDK when a signature is refused; the same reads as
//! the SDK's (queries, scans, gets, batch gets), answered without the SDK's client.

use std::collections::BTreeSet;
use std::sync::Arc;

use dynatable_core::aws_sdk_dynamodb::primitives::Blob;
use dynatable_core::aws_sdk_dynamodb::types::AttributeValue as V;
use dynatable_core::{
    DirectRequests, Entity, ErrorKind, Item, OwnWrites, PrimaryKey, Snapshot, Table, entity,
};
use dynatable_tests::{Endpoint, Faults, Proxy, TestTable, endpoint};
use futures::TryStreamExt;

#[entity(pk = "USER#{user_id}", sk = "PROFILE", rename_all = "camelCase")]
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub user_id: String,
    pub username: String,
    pub bio: Option<String>,
    #[entity(default)]
    pub logins: u64,
    #[entity(default)]
    pub tags: BTreeSet<String>,
}

async fn direct(table: &Table, endpoint: &Endpoint) -> (Table, DirectRequests) {
    let direct = DirectRequests::new(&endpoint.sdk_config().await)
        .await
        .unwrap();
    (table.with_direct_requests(direct.clone()), direct)
}

/// A proxy in front of DynamoDB Local with `faults`, and the endpoint that reaches it.
async fn proxy(faults: Faults) -> (Proxy, Endpoint) {
    let proxy = Proxy::start(endpoint().url(), faults).await.unwrap();
    let url = Endpoint::Local(proxy.url().to_owned());
    (proxy, url)
}

/// A user with no bio, no logins and no tags.
fn user(id: String) -> User {
    User {
        username: format!("User {id}"),
        user_id: id,
        bio: None,
        logins: 0,
        tags: BTreeSet::new(),
    }
}

/// `u1`: Ada, with a tag.
fn ada() -> User {
    User {
        user_id: "u1".into(),
        username: "Ada".into(),
        bio: None,
        logins: 0,
        tags: BTreeSet::from(["math".to_owned()]),
    }
}

/// A handle on table `name` whose every request goes direct, through a proxy that checks
/// signatures as AWS does, with the proxy and the direct requests. Its own SDK client reaches
/// nothing: a request that fell back to the SDK would fail.
async fn direct_only(name: &str) -> (Proxy, Table, DirectRequests) {
    let (proxy, through_proxy) = proxy(Faults {
        check_signatures: true,
        ..Faults::default()
    })
    .await;
    let nowhere = Endpoint::Local("http://127.0.0.1:9".to_owned())
        .client()
        .await;
    let (table, direct) = direct(&Table::new(nowhere, name), &through_proxy).await;
    (proxy, table, direct)
}

/// Adds one to `u1`'s logins, creating the user when missing.
async fn add_login(table: &Table) -> dynatable_core::Result<()> {
    table
        .update::<User>(User::key("u1"))
        .add(User::fields().logins, 1)
        .upsert()
        .send()
        .await
}

/// Raw values of every type DynamoDB has, with text JSON must escape.
fn every_type(id: &str) -> Item {
    let mut nested = Item::new();
    nested.insert(
        "deep".into(),
        V::L(vec![V::N("-1.5e3".into()), V::Null(true)]),
    );
    Item::from([
        ("PK".to_owned(), V::S(format!("RAW#{id}"))),
        ("SK".to_owned(), V::S("RAW".into())),
        (
            "text".to_owned(),
            V::S("quote \" backslash \\ newline \n bell \u{7} é ✓ 🦀".into()),
        ),
        ("number".to_owned(), V::N("12345678901234567890.5".into())),
        ("binary".to_owned(), V::B(Blob::new(vec![0, 255, 7, 128]))),
        ("yes".to_owned(), V::Bool(true)),
        ("nothing".to_owned(), V::Null(true)),
        ("strings".to_owned(), V::Ss(vec!["a".into(), "b\"".into()])),
        ("numbers".to_owned(), V::Ns(vec!["1".into(), "2.5".into()])),
        (
            "blobs".to_owned(),
            V::Bs(vec![Blob::new(vec![1]), Blob::new(vec![2, 3])]),
        ),
        ("map".to_owned(), V::M(nested)),
        (
            "list".to_owned(),
            V::L(vec![V::S(String::new()), V::M(Item::new())]),
        ),
    ])
}

/// The same writes, successful and refused, on `table`; what each returned, with the table's
/// name taken out of error texts.
async fn script(table: &Table) -> Vec<String> {
    let f = User::fields();
    let ada = ada();
    let outcome = |result: dynatable_core::Result<()>| match result {
        Ok(()) => "ok".to_owned(),
        Err(e) => e.to_string().replace(table.name(), "TABLE"),
    };
    vec![
        outcome(table.put(&ada).send().await),
        outcome(table.put(&ada).if_absent().send().await),
        outcome(
            table
                .update::<User>(User::key("u1"))
                .add(f.logins, 2)
                .set(f.bio, Some("Countess \"of\" Lovelace".to_owned()))
                .condition(f.username.eq("Ada"))
                .send()
                .await,
        ),
        outcome(
            table
                .update::<User>(User::key("u1"))
                .set(f.username, "Grace".to_owned())
                .condition(f.username.eq("Nobody"))
                .send()
                .await,
        ),
        outcome(
            table
                .update::<User>(User::key("u2"))
                .add(f.logins, 1)
                .send()
                .await,
        ),
        outcome(table.put_item(every_type("1")).send().await),
        outcome(table.put_item(every_type("2")).send().await),
        outcome(
            table
                .update_item(PrimaryKey::new("RAW#1", "RAW"))
                .set_attribute("text", V::S("replaced\t\u{1}".into()))
                .remove_attribute("binary")
                .send()
                .await,
        ),
        outcome(
            table
                .delete::<User>(User::key("u1"))
                .condition(f.logins.eq(5))
                .send()
                .await,
        ),
        outcome(
            table
                .delete::<User>(PrimaryKey::new("RAW#2", "RAW"))
                .send()
                .await,
        ),
    ]
}

/// Every item of the table, sorted.
async fn items(test: &TestTable) -> Vec<String> {
    let mut items: Vec<String> = test
        .scan_all()
        .await
        .into_iter()
        .map(|item| {
            format!(
                "{:?}",
                item.into_iter()
                    .collect::<std::collections::BTreeMap<_, _>>()
            )
        })
        .collect();
    items.sort();
    items
}

#[tokio::test]
async fn direct_writes_answer_and_leave_the_table_as_the_sdks_writes_do() {
    let through_sdk = TestTable::create(&[User::SCHEMA]).await;
    let through_direct = TestTable::create(&[User::SCHEMA]).await;
    let sdk = Table::new(through_sdk.client.clone(), &through_sdk.name);
    // The direct writes pass a proxy the table's SDK client does not: its count shows which
    // path each write took. It checks their signatures as AWS would.
    let (proxy, through_proxy) = proxy(Faults {
        check_signatures: true,
        ..Faults::default()
    })
    .await;
    let (direct, writes) = direct(
        &Table::new(through_direct.client.clone(), &through_direct.name),
        &through_proxy,
    )
    .await;

    let answers = script(&sdk).await;
    assert_eq!(
        answers.iter().filter(|a| *a == "ok").count(),
        6,
        "{answers:#?}"
    );
    assert_eq!(script(&direct).await, answers);
    assert_eq!(items(&through_direct).await, items(&through_sdk).await);
    assert!(!writes.fell_back());
    assert_eq!(
        proxy.stats().requests,
        10,
        "every write of the script went direct"
    );
    assert_eq!(proxy.stats().refused, 0, "every signature as AWS checks it");
}

/// The proxy's signature check itself: the SDK's signatures pass it, a wrong secret's do not.
#[tokio::test]
async fn the_proxys_signature_check_passes_the_sdks_signatures_and_refuses_a_wrong_secret() {
    let test = TestTable::create(&[User::SCHEMA]).await;
    let (proxy, through_proxy) = proxy(Faults {
        check_signatures: true,
        ..Faults::default()
    })
    .await;
    let sdk = Table::new(through_proxy.client().await, &test.name);
    add_login(&sdk).await.unwrap();
    assert_eq!(proxy.stats().refused, 0);

    let wrong = through_proxy
        .sdk_config()
        .await
        .into_builder()
        .credentials_provider(
            dynatable_core::aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
                dynatable_core::aws_sdk_dynamodb::config::Credentials::new(
                    "local", "wrong", None, None, "test",
                ),
            ),
        )
        .build();
    let wrong = Table::new(
        dynatable_core::aws_sdk_dynamodb::Client::new(&wrong),
        &test.name,
    );
    let error = add_login(&wrong).await.unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::Service { code, .. } if code == "InvalidSignatureException"),
        "{error}"
    );
    assert_eq!(proxy.stats().refused, 1);
}

#[tokio::test]
async fn a_direct_write_to_a_missing_table_is_table_not_found() {
    let test = TestTable::create(&[User::SCHEMA]).await;
    let (table, _) = direct(
        &Table::new(test.client.clone(), "no-such-table"),
        &endpoint(),
    )
    .await;
    let error = table
        .update::<User>(User::key("u1"))
        .add(User::fields().logins, 1)
        .send()
        .await
        .unwrap_err();
    assert!(error.is_table_not_found(), "{error}");
    assert!(matches!(error.kind(), ErrorKind::TableNotFound), "{error}");
}

#[tokio::test]
async fn direct_writes_return_the_items_they_wrote_to_own_writes() {
    let test = TestTable::create(&[User::SCHEMA]).await;
    let plain = Table::new(test.client.clone(), &test.name);
    plain
        .batch_put((0..3).map(|i| user(format!("u{i}"))))
        .await
        .unwrap();
    let own = Arc::new(OwnWrites::new());
    let (proxy, through_proxy) = proxy(Faults::default()).await;
    let (table, _) = direct(&plain.with_own_writes(Arc::clone(&own)), &through_proxy).await;
    let f = User::fields();
    let read: Vec<Snapshot<User>> = table
        .scan::<User>()
        .snapshots()
        .try_collect()
        .await
        .unwrap();
    let report = table
        .apply_snapshots(
            futures::stream::iter(read.into_iter().map(Ok)),
            |u: User| {
                let update = table.update::<User>(u.primary_key());
                match u.user_id.as_str() {
                    "u0" => Some(update.set(f.bio, Some("new".to_owned())).into()),
                    // Written, but to the values stored: the item returned shows no change.
                    "u1" => Some(update.set(f.username, u.username).into()),
                    _ => None,
                }
            },
        )
        .await
        .unwrap();
    assert_eq!(report.written, 2, "{report:?}");
    // The scan's one page and the two writes.
    assert_eq!(
        proxy.stats().requests,
        3,
        "the scan and both writes went direct"
    );
    assert_eq!(own.len(), 1);
    assert!(own.count_record(&User::key("u0")));
}

#[tokio::test]
async fn direct_writes_retry_throttling_and_lost_answers() {
    let test = TestTable::create(&[User::SCHEMA]).await;
    let (proxy, through_proxy) = proxy(Faults {
        throttles: 0.3,
        lost_responses: 0.05,
        seed: 11,
        ..Faults::default()
    })
    .await;
    let (table, _) = direct(&Table::new(test.client.clone(), &test.name), &through_proxy).await;
    let users = (0..200).map(|i| Ok(user(format!("u{i:03}"))));
    let report = table
        .apply(futures::stream::iter(users), |u: User| {
            Some(table.put(&u).into())
        })
        .await
        .unwrap();
    assert_eq!(report.written, 200, "{report:?}");
    let stats = proxy.stats();
    // Each throttled or lost request was sent again (the report counts writes, not attempts).
    assert!(stats.throttled > 0 && stats.lost > 0, "{stats:?}");
    assert!(
        stats.requests >= 200 + stats.throttled + stats.lost,
        "{stats:?}"
    );
    assert_eq!(test.scan_all().await.len(), 200);
}

#[tokio::test]
async fn a_refused_signature_hands_the_writes_over_to_the_sdk() {
    let test = TestTable::create(&[User::SCHEMA]).await;
    let (proxy, through_proxy) = proxy(Faults {
        refuse_signatures_from: Some("dynatable/"),
        ..Faults::default()
    })
    .await;
    let (table, writes) =
        direct(&Table::new(test.client.clone(), &test.name), &through_proxy).await;
    for i in 0..3 {
        add_login(&table)
            .await
            .unwrap_or_else(|e| panic!("write {i}: {e}"));
    }
    assert!(writes.fell_back());
    assert_eq!(
        proxy.stats().refused,
        1,
        "only the first write tried the direct path"
    );
    let item = &test.scan_all().await[0];
    assert_eq!(item["logins"], V::N("3".into()));
}

#[test]
fn amz_dates_read_as_times() {
    use dynatable_tests::amz_date;
    assert_eq!(
        amz_date("20261128T044500Z"),
        humantime::parse_rfc3339("2026-11-28T04:45:00Z").ok()
    );
    assert_eq!(amz_date("2026-11-28"), None);
}

/// An entry of a list, many to a partition: for reads of pages, cursors and limits.
#[entity(pk = "LIST#{list_id}", sk = "ENTRY#{n:04}", rename_all = "camelCase")]
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub list_id: String,
    pub n: u32,
    pub text: String,
    pub score: f64,
    #[entity(default)]
    pub tags: BTreeSet<String>,
    pub note: Option<String>,
}

/// The same reads on `table`, each outcome as text (the table's name taken out of errors):
/// queries over pages with cursors, limits, order, filters and a malformed item, scans (one
/// segment and parallel), gets and batch gets, raw and typed.
async fn read_script(table: &Table) -> Vec<String> {
    let f = Entry::fields();
    let text = |outcome: String| outcome.replace(table.name(), "TABLE");
    let query = || table.query::<Entry>(Entry::partition_key("a"));
    let mut out = Vec::new();
    out.push(text(format!("{:?}", query().page_size(7).all().await)));
    let pages: dynatable_core::Result<Vec<_>> = query()
        .page_size(7)
        .limit(23)
        .pages()
        .map_ok(|page| {
            let cursor = page.cursor.map(|c| {
                c.0.into_iter()
                    .collect::<std::collections::BTreeMap<_, _>>()
            });
            (page.items.len(), page.scanned, cursor)
        })
        .try_collect()
        .await;
    out.push(text(format!("{pages:?}")));
    out.push(text(format!(
        "{:?}",
        query()
            .descending()
            .sort_key(dynatable_core::SortKey::Between(
                "ENTRY#0010".into(),
                "ENTRY#0020".into()
            ))
            .filter(f.score.gt(5.0))
            .consistent()
            .all()
            .await
    )));
    out.push(text(format!(
        "{:?}",
        table
            .query::<Entry>(Entry::partition_key("bad"))
            .all()
            .await
    )));
    let mut scanned: Vec<String> = match table
        .scan::<Entry>()
        .page_size(5)
        .stream()
        .try_collect::<Vec<_>>()
        .await
    {
        Ok(entries) => entries.iter().map(|e| format!("{e:?}")).collect(),
        Err(e) => vec![e.to_string()],
    };
    scanned.sort();
    out.push(text(format!("{scanned:?}")));
    let mut skipping: Vec<String> = table
        .scan::<Entry>()
        .skip_malformed()
        .parallel()
        .pages()
        .map_ok(|page| {
            let malformed = page
                .malformed
                .iter()
                .map(|m| format!("skipped {:?}: {}", m.key, m.error));
            page.items
                .iter()
                .map(|e| format!("{e:?}"))
                .chain(malformed)
                .collect::<Vec<_>>()
        })
        .try_concat()
        .await
        .unwrap_or_else(|e| vec![e.to_string()]);
    skipping.sort();
    out.push(text(format!("{skipping:?}")));
    let mut raw: Vec<String> = table
        .scan_items()
        .parallel()
        .stream()
        .map_ok(|item| {
            format!(
                "{:?}",
                item.into_iter()
                    .collect::<std::collections::BTreeMap<_, _>>()
            )
        })
        .try_collect()
        .await
        .unwrap_or_else(|e| vec![e.to_string()]);
    raw.sort();
    out.push(text(format!("{raw:?}")));
    out.push(text(format!(
        "{:?}",
        table.get::<Entry>(Entry::key("a", 3)).send().await
    )));
    out.push(text(format!(
        "{:?}",
        table
            .get::<Entry>(Entry::key("a", 999))
            .consistent()
            .send()
            .await
    )));
    out.push(text(format!(
        "{:?}",
        table.get::<Entry>(Entry::key("bad", 1)).send().await
    )));
    let keys = [
        Entry::key("a", 1),
        Entry::key("a", 999),
        Entry::key("b", 2),
        Entry::key("a", 1),
    ];
    out.push(text(format!(
        "{:?}",
        table.batch_get::<Entry>(keys.clone()).send().await
    )));
    // A malformed item, asked for once and, in another batch, twice: the error names its key.
    for keys in [
        vec![Entry::key("a", 2), Entry::key("bad", 1)],
        vec![
            Entry::key("bad", 1),
            Entry::key("a", 2),
            Entry::key("bad", 1),
        ],
    ] {
        out.push(text(format!(
            "{:?}",
            table.batch_get::<Entry>(keys).send().await
        )));
    }
    let raw_keys = [
        PrimaryKey::new("RAW#1", "RAW"),
        PrimaryKey::new("RAW#9", "RAW"),
    ];
    out.push(text(format!(
        "{:?}",
        table
            .batch_get_items(&raw_keys, true)
            .await
            .map(|items| items
                .into_iter()
                .map(|i| i.map(|i| i.into_iter().collect::<std::collections::BTreeMap<_, _>>()))
                .collect::<Vec<_>>())
    )));
    out
}

#[tokio::test]
async fn direct_reads_answer_as_the_sdks_reads_do() {
    let test = TestTable::create(&[Entry::SCHEMA]).await;
    for (list, count) in [("a", 40), ("b", 3)] {
        for n in 0..count {
            test.put(&Entry {
                list_id: list.into(),
                n,
                text: format!("entry \"{n}\" of {list} ✓\n"),
                score: f64::from(n) / 2.0,
                tags: (n % 3 == 0)
                    .then(|| "third".to_owned())
                    .into_iter()
                    .collect(),
                note: (n % 4 == 0).then(|| "a note".to_owned()),
            })
            .await;
        }
    }
    test.put_item(every_type("1")).await;
    // A malformed entry: its score is text.
    let mut bad = Entry {
        list_id: "bad".into(),
        n: 1,
        text: "bad".into(),
        score: 1.0,
        tags: BTreeSet::new(),
        note: None,
    }
    .to_item()
    .unwrap();
    bad.insert("score".into(), V::S("high".into()));
    test.put_item(bad).await;

    let sdk = Table::new(test.client.clone(), &test.name);
    // Every answer below came through the direct path (and the proxy).
    let (proxy, direct, requests) = direct_only(&test.name).await;

    let answers = read_script(&sdk).await;
    assert!(
        answers.iter().all(|a| !a.contains("dispatch failure")),
        "{answers:#?}"
    );
    assert!(
        answers[3].contains("\"score\"") && answers[3].contains("TypeMismatch"),
        "{}",
        answers[3]
    );
    assert!(
        answers[5].contains("skipped Some(PrimaryKey"),
        "{}",
        answers[5]
    );
    let direct_answers = read_script(&direct).await;
    assert_eq!(direct_answers.len(), answers.len());
    for (at, (direct, sdk)) in direct_answers.iter().zip(&answers).enumerate() {
        assert_eq!(direct, sdk, "read {at} of the script");
    }
    assert!(!requests.fell_back());
    assert!(
        proxy.stats().requests >= 20,
        "{} requests",
        proxy.stats().requests
    );
    assert_eq!(proxy.stats().refused, 0, "every signature as AWS checks it");
}

/// The same transactions, applied and canceled, on `table`; what each returned (a canceled one
/// with its reasons), with the table's name taken out of error texts.
async fn transaction_script(table: &Table) -> Vec<String> {
    let f = User::fields();
    let ada = ada();
    let outcome = |result: dynatable_core::Result<()>| match result {
        Ok(()) => "ok".to_owned(),
        Err(e) => format!(
            "{} {:?}",
            e.to_string().replace(table.name(), "TABLE"),
            e.kind()
        ),
    };
    let token = ulid::Ulid::new().to_string();
    let first = || {
        table
            .transaction()
            .write(table.put(&ada).if_absent())
            .write(table.put_item(every_type("t1")))
            .client_request_token(token.clone())
    };
    vec![
        outcome(first().send().await),
        // The same token and writes again: DynamoDB answers as it did, applying nothing twice.
        outcome(first().send().await),
        outcome(
            table
                .transaction()
                .write(
                    table
                        .update::<User>(User::key("u1"))
                        .add(f.logins, 2)
                        .set(f.bio, Some("Countess \"of\" Lovelace".to_owned()))
                        .condition(f.username.eq("Ada")),
                )
                .write(table.delete::<User>(PrimaryKey::new("RAW#t1", "RAW")))
                .send()
                .await,
        ),
        // Canceled: the second action's condition fails, so the first is not applied either.
        outcome(
            table
                .transaction()
                .write(table.put(&user("u3".into())))
                .write(
                    table
                        .update::<User>(User::key("u1"))
                        .set(f.username, "Grace".to_owned())
                        .condition(f.username.eq("Nobody")),
                )
                .send()
                .await,
        ),
        outcome(
            table
                .transaction()
                .condition_check(User::key("u1"), f.logins.eq(2))
                .write(table.put(&user("u4".into())))
                .send()
                .await,
        ),
        outcome(
            table
                .transaction()
                .condition_check(User::key("u1"), f.logins.eq(7))
                .write(table.put(&user("u5".into())).if_absent())
                .write(table.put(&user("u4".into())).if_absent())
                .send()
                .await,
        ),
    ]
}

#[tokio::test]
async fn direct_transactions_answer_and_leave_the_table_as_the_sdks_do() {
    let through_sdk = TestTable::create(&[User::SCHEMA]).await;
    let through_direct = TestTable::create(&[User::SCHEMA]).await;
    let sdk = Table::new(through_sdk.client.clone(), &through_sdk.name);
    let (proxy, direct, requests) = direct_only(&through_direct.name).await;

    let answers = transaction_script(&sdk).await;
    assert_eq!(answers[..3], ["ok", "ok", "ok"], "{answers:#?}");
    assert!(
        answers[3].contains("index: 1, code: \"ConditionalCheckFailed\""),
        "{}",
        answers[3]
    );
    assert_eq!(answers[4], "ok");
    assert!(
        answers[5].contains("index: 0, code: \"ConditionalCheckFailed\"")
            && answers[5].contains("index: 2, code: \"ConditionalCheckFailed\"")
            && !answers[5].contains("index: 1"),
        "{}",
        answers[5]
    );
    assert_eq!(transaction_script(&direct).await, answers);
    assert_eq!(items(&through_direct).await, items(&through_sdk).await);
    assert!(!requests.fell_back());
    assert_eq!(
        proxy.stats().requests,
        6,
        "every transaction of the script went direct"
    );
    assert_eq!(proxy.stats().refused, 0, "every signature as AWS checks it");
}

#[tokio::test]
async fn direct_transactions_retry_throttling_and_lost_answers_once_each() {
    let test = TestTable::create(&[User::SCHEMA]).await;
    let (proxy, through_proxy) = proxy(Faults {
        throttles: 0.3,
        lost_responses: 0.1,
        seed: 5,
        ..Faults::default()
    })
    .await;
    let (table, _) = direct(&Table::new(test.client.clone(), &test.name), &through_proxy).await;
    // Each transaction adds one login to two users: a lost answer retried with the same token
    // is not applied twice.
    let f = User::fields();
    for _ in 0..40 {
        table
            .transaction()
            .write(
                table
                    .update::<User>(User::key("a"))
                    .add(f.logins, 1)
                    .upsert(),
            )
            .write(
                table
                    .update::<User>(User::key("b"))
                    .add(f.logins, 1)
                    .upsert(),
            )
            .send()
            .await
            .unwrap();
    }
    let stats = proxy.stats();
    assert!(stats.throttled > 0 && stats.lost > 0, "{stats:?}");
    for item in test.scan_all().await {
        assert_eq!(item["logins"], V::N("40".into()), "{item:?}");
    }
}
