DROP TABLE password_resets;
DROP TABLE api_keys;
