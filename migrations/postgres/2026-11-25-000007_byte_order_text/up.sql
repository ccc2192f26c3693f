-- The text columns lists order by compare by code point ("C"), whatever the database's
-- locale: `?ordering=title` then means the same on PostgreSQL as on SQLite (BINARY), on
-- every deployment. Equality (and so uniqueness) is unchanged.
ALTER TABLE articles ALTER COLUMN title TYPE text COLLATE "C";
ALTER TABLE roles ALTER COLUMN name TYPE text COLLATE "C";
ALTER TABLE users ALTER COLUMN email TYPE text COLLATE "C";
