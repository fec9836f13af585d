-- The merchandiser's rule editor: every published rule set of a product is kept, immutable, as a
-- numbered version (orders and saved configurations name the version they were priced with);
-- edits go into one draft per product first, with a revision number so that a second
-- merchandiser's save of a stale form is refused instead of overwriting; test configurations
-- must stay valid (or impossible) before a draft may be published; and every change in the
-- console is in the audit log, with what it was before and after.
create table rule_versions (
    product_id text not null references products (id),
    version bigint not null,
    rule_set text not null,
    published_at bigint not null,
    published_by text references customers (id),
    note text not null,
    primary key (product_id, version)
);

create table rule_drafts (
    product_id text primary key references products (id),
    rule_set text not null,
    revision bigint not null,
    based_on bigint not null,
    updated_at bigint not null,
    updated_by text references customers (id)
);

create table test_configurations (
    id text primary key,
    product_id text not null references products (id),
    name text not null,
    configuration text not null,
    expect_valid bigint not null,
    created_at bigint not null
);
create index test_configurations_product on test_configurations (product_id, created_at);

create table audit_log (
    id text primary key,
    at bigint not null,
    actor_id text references customers (id),
    entity text not null,
    entity_id text not null,
    action text not null,
    before_value text,
    after_value text
);
create index audit_log_at on audit_log (at);
create index audit_log_entity on audit_log (entity, entity_id, at);

-- A cart line remembers the rule version and the price the buyer saw when adding it, so that
-- after a publish the cart and the checkout say what changed instead of charging another price
-- silently (empty for lines added before this).
alter table cart_lines add column rule_version bigint;
alter table cart_lines add column unit_price bigint;
