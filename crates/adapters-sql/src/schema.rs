//! Table definitions, shared by both backends (kept by hand in step with
//! `migrations/postgres` and `migrations/sqlite`). `crate::sql_types` maps `Uuid`, `Moment`
//! (a timestamp; not called `Timestamptz`, to which `table!` would add arithmetic that
//! SQLite's timestamp type lacks); hashes are `Binary` on both.

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Moment};

    tenants (id) {
        id -> Uuid,
        name -> Text,
        slug -> Text,
        is_active -> Bool,
        created_at -> Moment,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Moment};

    users (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        email -> Text,
        password_hash -> Text,
        first_name -> Text,
        last_name -> Text,
        patronymic -> Text,
        is_active -> Bool,
        is_superuser -> Bool,
        token_version -> Int4,
        created_at -> Moment,
        updated_at -> Moment,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Moment};

    roles (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        name -> Text,
        description -> Text,
        is_system -> Bool,
        created_at -> Moment,
        updated_at -> Moment,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Moment};

    user_roles (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        user_id -> Uuid,
        role_id -> Uuid,
        granted_by -> Nullable<Uuid>,
        granted_at -> Moment,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Moment};

    sessions (id) {
        id -> Uuid,
        user_id -> Uuid,
        tenant_id -> Uuid,
        created_at -> Moment,
        last_used_at -> Moment,
        expires_at -> Moment,
        revoked_at -> Nullable<Moment>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Moment};

    refresh_tokens (token_hash) {
        token_hash -> Binary,
        session_id -> Uuid,
        created_at -> Moment,
        rotated_at -> Nullable<Moment>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Moment};

    revocations (id) {
        id -> Uuid,
        expires_at -> Moment,
    }
}

diesel::joinable!(users -> tenants (tenant_id));
diesel::joinable!(user_roles -> roles (role_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Uuid;

    business_elements (id) {
        id -> Uuid,
        key -> Text,
        description -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Moment};

    access_rules (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        role_id -> Uuid,
        element_id -> Uuid,
        can_read_own -> Bool,
        can_read_all -> Bool,
        can_create -> Bool,
        can_update_own -> Bool,
        can_update_all -> Bool,
        can_delete_own -> Bool,
        can_delete_all -> Bool,
        created_at -> Moment,
        updated_at -> Moment,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Moment};

    articles (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        owner_id -> Uuid,
        title -> Text,
        content -> Text,
        created_at -> Moment,
        updated_at -> Moment,
    }
}

diesel::joinable!(access_rules -> roles (role_id));
diesel::joinable!(access_rules -> business_elements (element_id));
diesel::joinable!(articles -> users (owner_id));
diesel::allow_tables_to_appear_in_same_query!(
    tenants,
    users,
    roles,
    user_roles,
    sessions,
    refresh_tokens,
    revocations,
    business_elements,
    access_rules,
    articles,
    invitations,
    outbox,
    api_keys,
    password_resets,
    credentials
);

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Moment};

    invitations (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        email -> Text,
        role_id -> Uuid,
        token_hash -> Binary,
        invited_by -> Nullable<Uuid>,
        created_at -> Moment,
        expires_at -> Moment,
        accepted_at -> Nullable<Moment>,
        revoked_at -> Nullable<Moment>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Moment};

    outbox (id) {
        id -> Uuid,
        to_email -> Text,
        subject -> Text,
        body -> Text,
        sent_at -> Moment,
    }
}

diesel::joinable!(invitations -> roles (role_id));

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Moment};

    api_keys (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        owner_id -> Uuid,
        name -> Text,
        prefix -> Text,
        secret_hash -> Binary,
        scopes -> Text,
        created_at -> Moment,
        expires_at -> Nullable<Moment>,
        last_used_at -> Nullable<Moment>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Moment;

    job_runs (name) {
        name -> Text,
        started_at -> Moment,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Moment};

    password_resets (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        user_id -> Uuid,
        token_hash -> Binary,
        created_at -> Moment,
        expires_at -> Moment,
        spent_at -> Nullable<Moment>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Moment};

    audit_logs (position) {
        position -> BigInt,
        id -> Uuid,
        tenant_id -> Nullable<Uuid>,
        seq -> BigInt,
        occurred_at -> Moment,
        actor_type -> Text,
        actor_id -> Nullable<Uuid>,
        action -> Text,
        target_type -> Nullable<Text>,
        target_id -> Nullable<Text>,
        outcome -> Text,
        request_id -> Nullable<Text>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        changes -> Text,
        metadata -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Uuid;

    audit_chains (chain) {
        chain -> Uuid,
        tenant_id -> Nullable<Uuid>,
        last_seq -> BigInt,
        last_hash -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Moment};

    credentials (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        owner_id -> Uuid,
        name -> Text,
        provider -> Text,
        metadata -> Text,
        key_version -> Integer,
        wrapped_key -> Binary,
        nonce -> Binary,
        ciphertext -> Binary,
        created_at -> Moment,
        updated_at -> Moment,
        rotated_at -> Nullable<Moment>,
    }
}
