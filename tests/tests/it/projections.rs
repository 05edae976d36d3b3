//! Projections on DynamoDB Local: a query projected onto a struct of some of an entity's fields
//! reads those attributes (and the keys) into it, on the table and on an index, with limits,
//! cursors and filters as on whole entities.

use dynatable_core::{Entity, Projection, SortKey, Table, entity, projection};
use dynatable_tests::TestTable;

#[entity(
    pk = "USER#{user_id}",
    sk = "PHOTO#{photo_id}",
    index(name = "GSI1", pk = "ALBUM#{album}", sk = "PHOTO#{photo_id}"),
    rename_all = "camelCase"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct Photo {
    pub user_id: String,
    pub photo_id: String,
    pub album: String,
    pub url: String,
    pub caption: Option<String>,
    pub likes: u64,
    pub exif: String,
}

#[projection(of = Photo)]
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoLink {
    pub photo_id: String,
    pub url: String,
    pub caption: Option<String>,
}

#[projection(of = Photo)]
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoLikes {
    pub photo_id: String,
    #[projection(default)]
    pub likes: u64,
}

fn photo(id: u32) -> Photo {
    Photo {
        user_id: "u1".into(),
        photo_id: format!("p{id:02}"),
        album: if id.is_multiple_of(2) { "even" } else { "odd" }.into(),
        url: format!("https://example.com/{id}.jpg"),
        caption: id.is_multiple_of(3).then(|| format!("caption {id}")),
        likes: u64::from(id) * 10,
        exif: "x".repeat(1000),
    }
}

fn link(id: u32) -> PhotoLink {
    let p = photo(id);
    PhotoLink {
        photo_id: p.photo_id,
        url: p.url,
        caption: p.caption,
    }
}

async fn seeded() -> (TestTable, Table) {
    let test = TestTable::create(&[Photo::SCHEMA]).await;
    let table = test.table().await;
    table.batch_put((0..10).map(photo)).await.unwrap();
    (test, table)
}

#[test]
fn the_projection_names_the_entitys_attributes() {
    assert_eq!(PhotoLink::ATTRIBUTES, ["photoId", "url", "caption"]);
    assert_eq!(PhotoLikes::ATTRIBUTES, ["photoId", "likes"]);
}

#[tokio::test]
async fn a_projected_query_reads_the_projection() {
    let (_t, table) = seeded().await;
    let links = table
        .query::<Photo>(Photo::partition_key("u1"))
        .sort_key(SortKey::BeginsWith("PHOTO#p0".into()))
        .project::<PhotoLink>()
        .all()
        .await
        .unwrap();
    assert_eq!(links, (0..10).map(link).collect::<Vec<_>>());
    let f = Photo::fields();
    let popular = table
        .query::<Photo>(Photo::partition_key("u1"))
        .filter(f.likes.ge(70u64))
        .descending()
        .project::<PhotoLikes>()
        .all()
        .await
        .unwrap();
    let ids: Vec<&str> = popular.iter().map(|p| p.photo_id.as_str()).collect();
    assert_eq!(ids, ["p09", "p08", "p07"]);
    assert_eq!(popular[0].likes, 90);
}

#[tokio::test]
async fn projected_index_pages_resume_from_their_cursors() {
    let (_t, table) = seeded().await;
    let query = || {
        table
            .query::<Photo>(Photo::gsi1_partition_key("even"))
            .index("GSI1")
            .project::<PhotoLink>()
    };
    let first = query().limit(2).all().await.unwrap();
    assert_eq!(first, vec![link(0), link(2)]);
    let page = futures::TryStreamExt::try_next(&mut Box::pin(query().limit(2).pages()))
        .await
        .unwrap()
        .unwrap();
    let rest = query()
        .start_from(page.cursor.unwrap())
        .all()
        .await
        .unwrap();
    assert_eq!(rest, vec![link(4), link(6), link(8)]);
}

#[tokio::test]
async fn a_projected_scan_reads_the_projection() {
    let (_t, table) = seeded().await;
    let f = Photo::fields();
    let mut links: Vec<PhotoLink> = futures::TryStreamExt::try_collect(
        table
            .scan::<Photo>()
            .parallel()
            .filter(f.album.eq("odd"))
            .project::<PhotoLink>()
            .stream(),
    )
    .await
    .unwrap();
    links.sort_by(|a, b| a.photo_id.cmp(&b.photo_id));
    assert_eq!(links, [1, 3, 5, 7, 9].map(link));
}
