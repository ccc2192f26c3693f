//! Fields several resources share, declared once.

use crate::resource::Field;

/// A name: 1–200 characters, not blank; lists order and search by it.
pub(crate) const NAME: Field = Field::text("name", 1, 200)
    .not_blank()
    .orderable()
    .searchable()
    .about("1–200 characters, not blank.");

/// A title: 1–200 characters, not blank; lists order and search by it.
pub(crate) const TITLE: Field = Field::text("title", 1, 200)
    .not_blank()
    .orderable()
    .searchable()
    .about("1–200 characters, not blank.");

/// A description: at most 10,000 characters, empty by default; lists search in it.
pub(crate) const DESCRIPTION: Field = Field::text("description", 0, 10_000)
    .default_text("")
    .searchable()
    .about("At most 10,000 characters.");
