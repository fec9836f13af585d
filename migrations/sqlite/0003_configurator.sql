-- The configurator in the browser: each order line keeps the working days its configuration
-- needed when it was ordered (the slowest option's lead time), so the order page can say when
-- it ships even after the options' lead times change.
alter table order_lines add column lead_days bigint not null default 0;

-- "Popular with your choices" counts and learns from a product's sales on its rule version.
create index order_lines_product_version on order_lines (product_id, rule_version);
