import { Type as t, type Static } from "@sinclair/typebox";

/**
 * The whole of `kriora.toml`. Every object is closed (an unknown key is an error naming its
 * path) and every field has a safe default, so an empty file is a valid configuration.
 */
const strict = { additionalProperties: false } as const;
const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  t.Integer({ default: def, minimum: min, maximum: max });
const money = (def: number) => t.Number({ default: def, minimum: 0 });
/** Who may read an operator page: anyone, an admin credential, or a caller on this machine. */
const access = (def: "public" | "admin" | "loopback") =>
  t.Union([t.Literal("public"), t.Literal("admin"), t.Literal("loopback")], { default: def });

const ServerSchema = t.Object(
  {
    host: t.String({ default: "127.0.0.1", minLength: 1 }),
    port: int(8080, 0, 65535),
    public_url: t.String({ default: "http://127.0.0.1:8080", pattern: "^https?://" }),
    tls_cert: t.String({ default: "" }),
    tls_key: t.String({ default: "" }),
    max_body_bytes: int(10_485_760, 1024),
    /** A request body still arriving after this many seconds is cut with 408. */
    body_timeout_s: int(30, 1, 3600),
    /** After SIGTERM/SIGINT, how long requests in flight may run on before streams are closed with an error. */
    shutdown_grace_s: int(30, 0, 3600),
    /** Proxies (CIDR blocks, IPv4 or IPv6) whose `X-Forwarded-For` entries are believed, read from the right. */
    trusted_proxies: t.Array(t.String({ minLength: 1, maxLength: 64 }), { default: [], maxItems: 256 }),
    /** Deprecated: `true` is `trusted_proxies = ["127.0.0.0/8", "::1/128"]`. */
    trust_proxy: t.Boolean({ default: false }),
    /** `/docs` and `/openapi.json`: the API's shape is no secret. */
    docs_access: access("public"),
    /** `/metrics`: traffic volumes are the operator's business, so only a local scraper by default. */
    metrics_access: access("loopback"),
  },
  strict,
);

const ProviderSchema = t.Object(
  {
    id: t.String({ minLength: 1, pattern: "^[A-Za-z0-9_.-]+$" }),
    kind: t.Union([t.Literal("openai"), t.Literal("anthropic"), t.Literal("azure-openai"), t.Literal("gemini")]),
    base_url: t.String({ pattern: "^https?://" }),
    api_key_env: t.String({ default: "" }),
    /** `azure-openai` only: the `api-version` query parameter of every call. */
    api_version: t.String({ default: "2024-10-21", pattern: "^[\\w.-]{1,40}$" }),
    zdr: t.Boolean({ default: false }),
    region: t.String({ default: "us", minLength: 1 }),
    connect_timeout_ms: int(10_000, 1),
    first_byte_timeout_ms: int(120_000, 1),
    idle_timeout_ms: int(60_000, 1),
    total_timeout_ms: int(600_000, 1),
    /** OpenAI format only: the server answers `/responses` itself; false translates Responses requests to chat completions. */
    native_responses: t.Boolean({ default: true }),
  },
  strict,
);

/** One place a model runs: a provider, its name there, a share of the traffic and optionally its own key. */
const DeploymentSchema = t.Object(
  {
    provider: t.String({ minLength: 1 }),
    upstream: t.String({ default: "" }),
    weight: t.Number({ default: 1, exclusiveMinimum: 0 }),
    /** Overrides the provider's `api_key_env` for this deployment (e.g. a second account's key). */
    api_key_env: t.String({ default: "" }),
  },
  strict,
);

const ModelSchema = t.Object(
  {
    id: t.String({ minLength: 1 }),
    /** Further names clients may call this model by. */
    aliases: t.Array(t.String({ minLength: 1 }), { default: [] }),
    /** The single-deployment form: `provider` and `upstream`. Either this or `deployments`. */
    provider: t.String({ default: "" }),
    upstream: t.String({ default: "" }),
    /** Chosen by weight per request; the others follow as failover targets. */
    deployments: t.Array(DeploymentSchema, { default: [] }),
    /** Further targets tried in order before the first byte reaches the client. */
    fallbacks: t.Array(
      t.Object({ provider: t.String({ minLength: 1 }), upstream: t.String({ default: "" }) }, strict),
      { default: [] },
    ),
    kind: t.Union([t.Literal("chat"), t.Literal("embedding")], { default: "chat" }),
    /** The context window in tokens, shown by `GET /v1/models`; 0 = not stated. */
    context_length: int(0),
    input_usd_per_mtok: money(0),
    output_usd_per_mtok: money(0),
    cached_input_usd_per_mtok: money(0),
    /** `max_tokens` sent when a request translated to a provider that requires one (Anthropic) gave none. */
    max_tokens_default: int(4096, 1),
  },
  strict,
);

const IssuerSchema = t.Object(
  {
    issuer: t.String({ minLength: 1 }),
    jwks_uri: t.String({ pattern: "^https?://" }),
    audience: t.String({ minLength: 1 }),
    email_claim: t.String({ default: "email" }),
  },
  strict,
);

export const ConfigSchema = t.Object(
  {
    server: t.Object(ServerSchema.properties, { ...strict, default: {} }),
    database: t.Object(
      {
        path: t.String({ default: "./data/kriora.db", minLength: 1 }),
        /** `postgres://…` selects PostgreSQL (env `KRIORA_DATABASE_URL`); empty keeps SQLite at `path`. */
        url: t.String({ default: "", pattern: "^$|^postgres(ql)?://" }),
        /** `serve` copies the database to `backups/` beside it before applying migrations. */
        backup_before_migrate: t.Boolean({ default: true }),
      },
      { ...strict, default: {} },
    ),
    /** Shared state of several instances: limits, spend, abuse, revocation feed, job lock (Redis or Valkey). */
    redis: t.Object(
      {
        url: t.String({ default: "", pattern: "^$|^rediss?://" }),
        /** Every key this gateway writes starts with it, so that several gateways can share one Redis. */
        prefix: t.String({ default: "kriora:", pattern: "^[A-Za-z0-9_.:-]{1,64}$" }),
        /** How many instances share the limits: while Redis is down each one allows rpm/tpm ÷ this. */
        instances: int(1, 1),
      },
      { ...strict, default: {} },
    ),
    security: t.Object(
      { master_key_file: t.String({ default: "./data/master.key", minLength: 1 }) },
      { ...strict, default: {} },
    ),
    retention: t.Object(
      { ip_days: int(30, 1), usage_detail_days: int(90, 1), billing_years: int(10, 1), audit_years: int(6, 1) },
      { ...strict, default: {} },
    ),
    limits: t.Object(
      { rpm: int(600), tpm: int(1_000_000), concurrency: int(32), monthly_budget_usd: money(0) },
      { ...strict, default: {} },
    ),
    billing: t.Object(
      {
        mode: t.Union([t.Literal("off"), t.Literal("prepaid"), t.Literal("metered")], { default: "off" }),
        stripe_secret_key_env: t.String({ default: "STRIPE_SECRET_KEY" }),
        stripe_webhook_secret_env: t.String({ default: "STRIPE_WEBHOOK_SECRET" }),
      },
      { ...strict, default: {} },
    ),
    mail: t.Object(
      { smtp_url: t.String({ default: "" }), from: t.String({ default: "no-reply@example.com" }) },
      { ...strict, default: {} },
    ),
    policy: t.Object(
      {
        version: t.String({ default: "2025-02-27", minLength: 1 }),
        material: t.Boolean({ default: true }),
        minimum_age: int(13, 1, 99),
        text_file: t.String({ default: "" }),
      },
      { ...strict, default: {} },
    ),
    auth: t.Object({ issuers: t.Array(IssuerSchema, { default: [] }) }, { ...strict, default: {} }),
    routing: t.Object(
      {
        /** Further rounds over a model's targets after all of them failed before the first byte. */
        retries: int(0, 0, 10),
        backoff_base_ms: int(250, 1),
        backoff_max_ms: int(8_000, 1),
        /** A provider's `retry-after` longer than this is not waited for: the client gets the 429. */
        max_retry_wait_ms: int(10_000, 0),
        /** Consecutive failures (5xx, 429, timeouts, refused connections) that open a deployment's circuit. */
        cooldown_failures: int(5, 1),
        cooldown_s: int(30, 1),
        /** Env-only mode: how often the upstreams' own `/v1/models` lists are fetched again. */
        models_refresh_s: int(600, 10),
      },
      { ...strict, default: {} },
    ),
    telemetry: t.Object(
      {
        /** OTLP/HTTP traces endpoint (e.g. `http://127.0.0.1:4318/v1/traces`); empty: tracing off. */
        otlp_traces_url: t.String({ default: "", pattern: "^(https?://.+)?$" }),
        service_name: t.String({ default: "kriora", minLength: 1 }),
      },
      { ...strict, default: {} },
    ),
    providers: t.Array(ProviderSchema, { default: [] }),
    models: t.Array(ModelSchema, { default: [] }),
  },
  strict,
);

export type Config = Static<typeof ConfigSchema>;
export type ProviderConfig = Static<typeof ProviderSchema>;
export type ModelConfig = Static<typeof ModelSchema>;
export type DeploymentConfig = Static<typeof DeploymentSchema>;
export type RoutingConfig = Config["routing"];
export type IssuerConfig = Static<typeof IssuerSchema>;
export type OpsAccess = Config["server"]["docs_access"];
