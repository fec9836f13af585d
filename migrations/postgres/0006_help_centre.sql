-- The help centre: FAQ articles in categories, synonyms for the search, one "Did this answer
-- your question?" vote per visitor and article (with the query that led there, which is what the
-- search learns from), searches that found nothing, and "Call me" requests with their claim.

create table help_categories (
    id text primary key,
    slug text not null unique,
    name text not null,
    position bigint not null
);

create table help_articles (
    id text primary key,
    slug text not null unique,
    category_id text not null references help_categories (id),
    question text not null,
    answer text not null,
    -- Product slugs as a JSON list: the product pages show the articles about them.
    products text not null default '[]',
    published bigint not null default 1,
    revision bigint not null default 1,
    position bigint not null default 0,
    created_at bigint not null,
    updated_at bigint not null
);

create table help_synonyms (
    id text primary key,
    term text not null unique,
    -- JSON list of words or phrases meaning the same as `term`.
    equivalents text not null,
    published bigint not null default 1,
    revision bigint not null default 1,
    updated_at bigint not null
);

create table help_votes (
    article_id text not null references help_articles (id),
    -- The customer's id, or a hash of a guest's session: one vote per visitor and article.
    visitor text not null,
    helpful bigint not null,
    -- What the visitor searched for before opening the article ('' when they came another way).
    query text not null default '',
    -- Set when a merchandiser removed what the search learnt from this vote.
    forgotten bigint not null default 0,
    at bigint not null,
    primary key (article_id, visitor)
);

create index help_votes_at on help_votes (at);

create table help_searches (
    id text primary key,
    query text not null,
    results bigint not null,
    at bigint not null
);

create index help_searches_at on help_searches (at);

-- Bumped by every change that changes the search index, so the index's URL names its version.
create table help_index_state (
    id bigint primary key,
    version bigint not null
);

insert into help_index_state (id, version) values (1, 1);

create table callback_requests (
    -- Random and unguessable: a guest's confirmation link is /help/call/{id}.
    id text primary key,
    customer_id text references customers (id),
    name text not null,
    phone text not null,
    day text not null,
    time_window text not null,
    topic text not null,
    page text not null,
    product_slug text,
    configuration text,
    status text not null default 'waiting',
    claimed_by text references customers (id),
    claimed_at bigint,
    note text not null default '',
    done_at bigint,
    created_at bigint not null
);

create index callback_requests_status on callback_requests (status, day, time_window);
