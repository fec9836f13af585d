-- The configurator in the browser: each order line keeps the working days its configuration
-- needed when it was ordered (the slowest option's lead time), so the order page can say when
-- it ships even after the options' lead times change.
alter table order_lines add column lead_days bigint not null default 0;

-- "Popular with your choices" counts and learns from a product's sales on its rule version.
create index order_lines_product_version on order_lines (product_id, rule_version);

-- Saved configurations: a short random link id, the complete configuration with the rule version
-- and price it was saved at. A customer's are theirs; a guest's are kept with their cart (no
-- foreign key: an abandoned guest cart may go, the shared link keeps working) and move into the
-- account at login.
create table saved_configurations (
    id text primary key,
    product_id text not null references products (id),
    rule_version bigint not null,
    configuration text not null,
    name text not null,
    price bigint not null,
    customer_id text references customers (id),
    cart_id text,
    created_at bigint not null,
    updated_at bigint not null
);
create index saved_configurations_customer on saved_configurations (customer_id, created_at);
create index saved_configurations_cart on saved_configurations (cart_id);
