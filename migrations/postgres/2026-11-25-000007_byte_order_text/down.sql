ALTER TABLE articles ALTER COLUMN title TYPE text COLLATE "default";
ALTER TABLE roles ALTER COLUMN name TYPE text COLLATE "default";
ALTER TABLE users ALTER COLUMN email TYPE text COLLATE "default";
