-- Hardening: one order per checkout form (its idempotency key), card orders that wait for
-- payment with their stock held until a deadline, and the Stripe Checkout Session attempt that
-- names the idempotency key of the next create.

-- The key the checkout form was rendered with; a repeat post with it returns this order.
alter table orders add column checkout_key text;
create unique index orders_checkout_key on orders (checkout_key);

-- Card orders: the number of the Checkout Session attempt (part of its idempotency key), the
-- session's URL, when the held stock is released if still unpaid, and which job claimed the release.
alter table orders add column payment_attempt bigint not null default 0;
alter table orders add column stripe_session_url text;
-- When the attempt's session expires, fixed at its first create so every retry sends the same
-- parameters (Stripe refuses a reused idempotency key with different ones).
alter table orders add column stripe_expires_at bigint;
alter table orders add column payment_due_at bigint;
alter table orders add column release_claimed_at bigint;
create index orders_payment_due on orders (payment_due_at);

-- Cleaning up after visitors: expired sessions, abandoned guest carts, old rate-limit windows.
create index sessions_expires on sessions (expires_at);
create index sessions_cart on sessions (cart_id);
create index carts_updated on carts (updated_at);
create index rate_limits_window on rate_limits (window_start);
create index order_grants_token on order_grants (token_hash);

-- What the cart page should tell the buyer once (e.g. which lines a reorder could not re-add).
alter table carts add column notice text;
