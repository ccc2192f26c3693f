//! Articles: the custom-rbac seed's business resource.

use crate::resource::{Field, ResourceDef};

/// `/articles`: a title and a text, owned by their author.
pub const ARTICLES: ResourceDef = ResourceDef::new(
    "article",
    "articles",
    "Article",
    "Articles, guarded by the access rules of the element `article`.",
    &[
        Field::text("title", 1, 200)
            .not_blank()
            .orderable()
            .searchable()
            .about("The title: 1–200 characters, not blank."),
        Field::text("content", 0, 50_000)
            .default_text("")
            .searchable()
            .about("The text: at most 50,000 characters (and the body within 64 KiB)."),
    ],
);
