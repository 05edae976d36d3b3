//! The example's migrations through its `migrate` binary: up, down to zero and back up, with the
//! item shapes checked at every step.

use crate::support;

use dynatable_core::Entity;
use dynatable_example::user_page::read_user_page;
use dynatable_example::{Notification, Timestamp};
use support::{App, Row, stdout};

const USERS: usize = 30;
const PHOTOS: usize = 4;

fn users(rows: &[Row]) -> Vec<&Row> {
    rows.iter().filter(|r| r["SK"] == "PROFILE").collect()
}

fn photos(rows: &[Row]) -> Vec<&Row> {
    rows.iter()
        .filter(|r| r["SK"].starts_with("PHOTO#"))
        .collect()
}

fn names(row: &Row) -> Vec<&str> {
    row.keys().map(String::as_str).collect()
}

/// The sort key a photo has after 0.3.0.
fn new_photo_sk(row: &Row) -> String {
    let created: Timestamp = row["createdAt"].parse().unwrap();
    format!("PHOTO#{}#{}", created.as_millis(), row["photoId"])
}

/// The items without the values that depend on when the run happened.
fn without_times(rows: &[Row]) -> Vec<Row> {
    rows.iter()
        .map(|row| {
            let mut row = row.clone();
            if let Some(updated) = row.get_mut("updatedAt") {
                *updated = "<time>".to_owned();
            }
            row
        })
        .collect()
}

#[tokio::test]
async fn up_then_down_to_zero_and_back_up() {
    let app = App::new("e2e");
    app.create_and_seed(USERS, PHOTOS);
    let seeded = app.dump().await;
    assert_eq!(seeded.len(), USERS * (PHOTOS + 1));
    for user in users(&seeded) {
        assert_eq!(
            names(user),
            ["PK", "SK", "createdAt", "email", "userId", "username"]
        );
    }
    assert!(
        users(&seeded)
            .iter()
            .any(|u| u["username"] != u["username"].to_lowercase()),
        "the seed has mixed-case usernames"
    );
    for photo in photos(&seeded) {
        assert_eq!(
            names(photo),
            ["PK", "SK", "createdAt", "photoId", "url", "userId"]
        );
        assert_eq!(photo["SK"], format!("PHOTO#{}", photo["photoId"]));
    }

    // A dry run writes nothing, ledger included, and says what it would write.
    let dry = app.migrate_json(&["up", "--dry-run", "--max-rate", "100"], 0);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["writes"]["0.1.0"].as_array().unwrap().len(), USERS);
    assert_eq!(
        dry["writes"]["0.3.0"].as_array().unwrap().len(),
        2 * USERS * PHOTOS,
        "a delete and a put per photo"
    );
    // And what it would cost: 0.1.0's scan of users reads the whole table (its filter does not
    // save reads) and updates each user (under 1 KB: one write unit); 0.3.0 writes a delete and
    // a put per photo in transactions, two units each.
    let cost = &dry["cost"];
    let v010 = &cost["versions"]["0.1.0"];
    assert_eq!(v010["items_read"], USERS * (PHOTOS + 1));
    assert_eq!(v010["items_written"], USERS);
    assert_eq!(v010["write_units"], USERS as f64);
    assert!(v010["read_units"].as_f64().unwrap() >= 0.5, "{v010}");
    let v030 = &cost["versions"]["0.3.0"];
    assert_eq!(v030["items_written"], 2 * USERS * PHOTOS);
    assert_eq!(v030["write_units"], (4 * USERS * PHOTOS) as f64);
    let total = cost["total"]["items_written"].as_f64().unwrap();
    assert_eq!(cost["seconds_at_max_rate"], total / 100.0);
    let text = stdout(
        &app.migrate(&["up", "--dry-run", "--max-rate", "100"])
            .assert()
            .success(),
    );
    let read = USERS * (PHOTOS + 1);
    assert!(
        text.contains(&format!("0.1.0: reads {read} items")),
        "{text}"
    );
    assert!(
        text.contains("At --max-rate 100 items/s the writes take about"),
        "{text}"
    );
    assert_eq!(app.dump().await, seeded);

    app.migrate(&["up"]).assert().success();
    let applied = app.data().await;
    assert_eq!(applied.len(), seeded.len(), "no item lost or added");
    for user in users(&applied) {
        assert_eq!(
            names(user),
            [
                "PK",
                "SK",
                "bio",
                "createdAt",
                "email",
                "updatedAt",
                "userId",
                "username"
            ]
        );
        assert_eq!(user["bio"], "");
        assert_eq!(user["username"], user["username"].to_lowercase());
    }
    for photo in photos(&applied) {
        assert_eq!(
            names(photo),
            [
                "PK",
                "SK",
                "createdAt",
                "photoId",
                "updatedAt",
                "url",
                "userId"
            ]
        );
        assert_eq!(photo["SK"], new_photo_sk(photo));
    }
    let status = app.migrate_json(&["status"], 0);
    let statuses = support::statuses(&status);
    assert_eq!(statuses, ["applied"; 5]);
    app.migrate(&["check"]).assert().success();

    // Notifications exist from 0.4.0 on; rolling 0.4.0 back deletes them.
    let table = app.table().await;
    let user_id = &users(&applied)[0]["userId"];
    for message in ["Welcome!", "Your photo got a like"] {
        table
            .put(&Notification::new(user_id.as_str(), message))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(app.data().await.len(), seeded.len() + 2);

    // The user's page: one collection query reads the profile, the photos newest first and the
    // unread notifications.
    let page = read_user_page(&table, user_id).await.unwrap();
    let user = page.user.as_ref().unwrap();
    assert_eq!(&user.user_id, user_id);
    assert_eq!(page.photos.len(), PHOTOS);
    assert!(
        page.photos
            .windows(2)
            .all(|w| w[0].created_at >= w[1].created_at),
        "newest first"
    );
    assert_eq!(page.unread.len(), 2);
    let read = &page.unread[0];
    table
        .update::<Notification>(read.primary_key())
        .set(Notification::fields().read, true)
        .send()
        .await
        .unwrap();
    let page = read_user_page(&table, user_id).await.unwrap();
    assert_eq!(page.unread.len(), 1, "a read notification is left out");
    assert_ne!(page.unread[0].notification_id, read.notification_id);
    let printed = app
        .command("user-page")
        .args(["--user", user_id.as_str()])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let printed = String::from_utf8(printed).unwrap();
    assert!(
        printed.contains(&format!("latest photos ({PHOTOS})")),
        "{printed}"
    );
    assert!(printed.contains("unread notifications: 1"), "{printed}");

    app.migrate(&["down", "--to", "0.2.0", "--yes"])
        .assert()
        .success();
    let at_0_2_0 = app.data().await;
    assert_eq!(at_0_2_0.len(), seeded.len(), "notifications deleted");
    for photo in photos(&at_0_2_0) {
        assert_eq!(photo["SK"], format!("PHOTO#{}", photo["photoId"]));
        assert!(!photo.contains_key("updatedAt"));
    }
    for user in users(&at_0_2_0) {
        assert!(!user.contains_key("updatedAt"));
        assert_eq!(user["bio"], "");
    }

    // 0.2.0 cannot be rolled back: refused, nothing changes.
    let refused = app.migrate(&["down", "--yes"]).assert().code(1);
    assert!(support::stderr(&refused).contains("0.2.0 (normalize_usernames) is irreversible"));
    assert_eq!(app.data().await, at_0_2_0);
    // Repair: record it rolled back, then roll back 0.1.0: down to zero.
    app.migrate(&["mark", "0.2.0", "rolled-back"])
        .assert()
        .success();
    app.migrate(&["down", "--yes"]).assert().success();
    let at_zero = app.data().await;
    let mut expected = seeded.clone();
    for row in &mut expected {
        if let Some(name) = row.get_mut("username") {
            *name = name.to_lowercase(); // the one-way part of 0.2.0
        }
    }
    assert_eq!(at_zero, expected, "the seeded data, usernames lowercased");
    let status = app.migrate_json(&["status"], 0);
    assert!(
        status["migrations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["status"] == "rolled_back")
    );

    // And back up: the same items as the first time.
    app.migrate(&["up"]).assert().success();
    assert_eq!(without_times(&app.data().await), without_times(&applied));
}
