DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE user_roles;
DROP TABLE roles;
DROP TABLE users;
DROP TABLE tenants;
