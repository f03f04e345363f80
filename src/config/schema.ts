import { Type as t, type Static } from "@sinclair/typebox";

/**
 * The whole of `kriora.toml`. Every object is closed (an unknown key is an error naming its
 * path) and every field has a safe default, so an empty file is a valid configuration.
 */
const strict = { additionalProperties: false } as const;
const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) => t.Integer({ default: def, minimum: min, maximum: max });
const money = (def: number) => t.Number({ default: def, minimum: 0 });
/** Who may read an operator page: anyone, an admin credential, or a caller on this machine. */
const access = (def: "public" | "admin" | "loopback") => t.Union([t.Literal("public"), t.Literal("admin"), t.Literal("loopback")], { default: def });

export const ServerSchema = t.Object(
  {
    host: t.String({ default: "127.0.0.1", minLength: 1 }),
    port: int(8080, 0, 65535),
    public_url: t.String({ default: "http://127.0.0.1:8080", pattern: "^https?://" }),
    tls_cert: t.String({ default: "" }),
    tls_key: t.String({ default: "" }),
    max_body_bytes: int(10_485_760, 1024),
    /** A request body still arriving after this many seconds is cut with 408. */
    body_timeout_s: int(30, 1, 3600),
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

export const ProviderSchema = t.Object(
  {
    id: t.String({ minLength: 1, pattern: "^[A-Za-z0-9_.-]+$" }),
    kind: t.Union([t.Literal("openai"), t.Literal("anthropic")]),
    base_url: t.String({ pattern: "^https?://" }),
    api_key_env: t.String({ default: "" }),
    zdr: t.Boolean({ default: false }),
    region: t.String({ default: "us", minLength: 1 }),
    connect_timeout_ms: int(10_000, 1),
    first_byte_timeout_ms: int(120_000, 1),
    idle_timeout_ms: int(60_000, 1),
    total_timeout_ms: int(600_000, 1),
  },
  strict,
);

export const ModelSchema = t.Object(
  {
    id: t.String({ minLength: 1 }),
    provider: t.String({ minLength: 1 }),
    upstream: t.String({ default: "" }),
    /** Further targets tried in order before the first byte reaches the client. */
    fallbacks: t.Array(t.Object({ provider: t.String({ minLength: 1 }), upstream: t.String({ default: "" }) }, strict), { default: [] }),
    input_usd_per_mtok: money(0),
    output_usd_per_mtok: money(0),
    cached_input_usd_per_mtok: money(0),
  },
  strict,
);

export const IssuerSchema = t.Object(
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
    database: t.Object({ path: t.String({ default: "./data/kriora.db", minLength: 1 }) }, { ...strict, default: {} }),
    security: t.Object({ master_key_file: t.String({ default: "./data/master.key", minLength: 1 }) }, { ...strict, default: {} }),
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
    providers: t.Array(ProviderSchema, { default: [] }),
    models: t.Array(ModelSchema, { default: [] }),
  },
  strict,
);

export type Config = Static<typeof ConfigSchema>;
export type ProviderConfig = Static<typeof ProviderSchema>;
export type ModelConfig = Static<typeof ModelSchema>;
export type IssuerConfig = Static<typeof IssuerSchema>;
export type OpsAccess = Config["server"]["docs_access"];
