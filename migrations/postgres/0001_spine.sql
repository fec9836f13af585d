-- The storefront spine: customers and their sessions, catalogue with per-option stock, carts,
-- orders with their status timeline, payment events and rate-limit windows.
-- Times are unix milliseconds; prices are integers in minor units (cents).

create table customers (
    id text primary key,
    email text not null,
    full_name text not null,
    password_hash text not null,
    role text not null default 'buyer',
    created_at bigint not null,
    updated_at bigint not null,
    constraint customers_email_key unique (email)
);

create table carts (
    id text primary key,
    customer_id text references customers (id),
    created_at bigint not null,
    updated_at bigint not null
);
create unique index carts_customer_key on carts (customer_id);

create table sessions (
    token_hash text primary key,
    customer_id text references customers (id),
    cart_id text references carts (id),
    created_at bigint not null,
    expires_at bigint not null
);

create table categories (
    id text primary key,
    slug text not null unique,
    name text not null,
    position bigint not null
);

create table products (
    id text primary key,
    slug text not null unique,
    category_id text not null references categories (id),
    name text not null,
    summary text not null,
    description text not null,
    image text not null,
    base_price bigint not null,
    -- Stock of a simple product; null for configurable ones (their stock is per option).
    stock bigint,
    rule_set text,
    rule_version bigint not null default 1,
    position bigint not null,
    created_at bigint not null,
    updated_at bigint not null
);

create table option_stock (
    product_id text not null references products (id),
    group_id text not null,
    option_id text not null,
    quantity bigint not null,
    updated_at bigint not null,
    primary key (product_id, group_id, option_id)
);

create table cart_lines (
    id text primary key,
    cart_id text not null references carts (id),
    product_id text not null references products (id),
    configuration text not null,
    quantity bigint not null,
    created_at bigint not null,
    updated_at bigint not null
);
create index cart_lines_cart on cart_lines (cart_id);

create table orders (
    id text primary key,
    number text not null,
    customer_id text references customers (id),
    email text not null,
    full_name text not null,
    address text not null,
    city text not null,
    postal_code text not null,
    country text not null,
    payment_method text not null,
    status text not null,
    total bigint not null,
    currency text not null,
    stripe_session_id text,
    created_at bigint not null,
    updated_at bigint not null,
    constraint orders_number_key unique (number)
);
create index orders_customer on orders (customer_id);
create unique index orders_stripe_session_key on orders (stripe_session_id);

create table order_lines (
    id text primary key,
    order_id text not null references orders (id),
    position bigint not null,
    product_id text not null references products (id),
    product_name text not null,
    configuration text not null,
    summary text not null,
    unit_price bigint not null,
    quantity bigint not null,
    rule_version bigint not null
);
create index order_lines_order on order_lines (order_id);

create table order_events (
    id text primary key,
    order_id text not null references orders (id),
    status text not null,
    created_at bigint not null
);
create index order_events_order on order_events (order_id);

-- Webhook events already handled: a repeated delivery of the same event changes nothing.
create table payment_events (
    event_id text primary key,
    kind text not null,
    received_at bigint not null
);

create table rate_limits (
    key text primary key,
    window_start bigint not null,
    hits bigint not null
);

-- Which sessions may see an order without logging in: the one that placed it and any that
-- proved the order number with the matching email at the lookup.
create table order_grants (
    order_id text not null references orders (id),
    token_hash text not null,
    created_at bigint not null,
    primary key (order_id, token_hash)
);
