-- The console's catalogue: hiding categories and products from buyers, a revision per row for
-- optimistic edits (a stale form is refused, never saved over someone else's change), and
-- uploaded images, kept in the database so every app server serves the same files.

alter table categories add column hidden bigint not null default 0;
alter table categories add column revision bigint not null default 1;
alter table products add column hidden bigint not null default 0;
alter table products add column revision bigint not null default 1;

create table images (
    id text primary key,
    content_type text not null,
    data bytea not null,
    byte_size bigint not null,
    sha256 text not null,
    created_at bigint not null,
    created_by text references customers (id)
);
