import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { Value } from "@sinclair/typebox/value";
import type { TObject, TSchema } from "@sinclair/typebox";
import { parseCidr } from "./cidr";
import { ConfigSchema, type Config, type ModelConfig, type ProviderConfig } from "./schema";

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

interface LoadOptions {
  /** `--config PATH`; when absent, `./kriora.toml` is used if it exists. */
  file?: string;
  /** `--data DIR`: puts the database and master key under DIR. */
  dataDir?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** Load `kriora.toml`, apply `KRIORA_*` overrides and env-only providers, validate, freeze. */
export function loadConfig(opts: LoadOptions = {}): Readonly<Config> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const defaultFile = join(cwd, "kriora.toml");
  const file = opts.file ? resolve(cwd, opts.file) : existsSync(defaultFile) ? defaultFile : undefined;

  const raw: Record<string, unknown> = file ? parseToml(file) : {};
  applyEnvOverrides(raw, env);
  if (opts.dataDir) {
    section(raw, "database").path = join(resolve(cwd, opts.dataDir), "kriora.db");
    section(raw, "security").master_key_file = join(resolve(cwd, opts.dataDir), "master.key");
  }
  if (!file && !raw.providers) raw.providers = envProviders(env);

  const withDefaults = Value.Default(ConfigSchema, raw);
  const first = Value.Errors(ConfigSchema, withDefaults).First();
  if (first) {
    const what = first.message === "Unexpected property" ? "unknown key" : first.message;
    throw new ConfigError(`config: ${keyPath(first.path)}: ${what}${allowedValues(first.schema)}`);
  }
  const config = withDefaults as Config;
  anchorPaths(config, file ? dirname(file) : cwd);
  checkReferences(config);
  return deepFreeze(config);
}

function parseToml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new ConfigError(`config: cannot read ${file}`);
  }
  try {
    return Bun.TOML.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`config: ${file} is not valid TOML (${err instanceof Error ? err.message : "parse error"})`);
  }
}

function section(raw: Record<string, unknown>, name: string): Record<string, unknown> {
  const existing = raw[name];
  if (existing && typeof existing === "object" && !Array.isArray(existing)) return existing as Record<string, unknown>;
  const created: Record<string, unknown> = {};
  raw[name] = created;
  return created;
}

/** `KRIORA_SERVER_PORT=9000` → `server.port = 9000`, converted to the field's type. */
function applyEnvOverrides(raw: Record<string, unknown>, env: Record<string, string | undefined>) {
  const sections = ConfigSchema.properties as Record<string, TSchema>;
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith("KRIORA_") || value === undefined) continue;
    const rest = name.slice("KRIORA_".length).toLowerCase();
    const sectionName = Object.keys(sections).find((s) => rest.startsWith(s + "_"));
    const sectionSchema = sectionName ? sections[sectionName] : undefined;
    if (!sectionName || !sectionSchema || sectionSchema.type !== "object") continue;
    const key = rest.slice(sectionName.length + 1);
    const field = (sectionSchema as TObject).properties[key];
    if (!field) throw new ConfigError(`config: ${sectionName}.${key} (from ${name}): unknown key`);
    section(raw, sectionName)[key] = convertEnv(field, value);
  }
}

function convertEnv(field: TSchema, value: string): unknown {
  if (field.type === "integer" || field.type === "number") return value.trim() === "" ? value : Number(value);
  if (field.type === "array")
    return value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  if (field.type === "boolean") return value === "true" ? true : value === "false" ? false : value;
  return value;
}

/** Env-only mode: each well-known variable adds a provider whose models are offered by their upstream names. */
function envProviders(env: Record<string, string | undefined>): Partial<ProviderConfig>[] {
  const providers: Partial<ProviderConfig>[] = [];
  if (env.OPENAI_API_KEY)
    providers.push({
      id: "openai",
      kind: "openai",
      base_url: "https://api.openai.com/v1",
      api_key_env: "OPENAI_API_KEY",
    });
  if (env.ANTHROPIC_API_KEY)
    providers.push({
      id: "anthropic",
      kind: "anthropic",
      base_url: "https://api.anthropic.com/v1",
      api_key_env: "ANTHROPIC_API_KEY",
    });
  if (env.KRIORA_UPSTREAM_URL)
    providers.push({
      id: "upstream",
      kind: "openai",
      base_url: env.KRIORA_UPSTREAM_URL,
      api_key_env: "KRIORA_UPSTREAM_KEY",
    });
  return providers;
}

/**
 * Relative file paths are read against the config file's folder (the working directory only
 * when there is no file), so a service started from `/` finds the same files as a shell in the
 * folder: every path the server uses is absolute from here on.
 */
function anchorPaths(config: Config, base: string) {
  const anchor = (p: string) => (p === "" || p === ":memory:" || isAbsolute(p) ? p : resolve(base, p));
  config.database.path = anchor(config.database.path);
  config.security.master_key_file = anchor(config.security.master_key_file);
  config.server.tls_cert = anchor(config.server.tls_cert);
  config.server.tls_key = anchor(config.server.tls_key);
  config.policy.text_file = anchor(config.policy.text_file);
}

function checkReferences(config: Config) {
  const ids = new Set<string>();
  config.providers.forEach((p, i) => {
    if (ids.has(p.id)) throw new ConfigError(`config: providers[${i}].id: duplicate provider id`);
    ids.add(p.id);
  });
  const modelIds = new Set<string>();
  config.models.forEach((m: ModelConfig, i) => {
    for (const [name, key] of [[m.id, "id"], ...m.aliases.map((a, j) => [a, `aliases[${j}]`])]) {
      if (modelIds.has(name!)) throw new ConfigError(`config: models[${i}].${key}: duplicate model id or alias`);
      modelIds.add(name!);
    }
    if (m.provider === "" && m.deployments.length === 0)
      throw new ConfigError(`config: models[${i}].provider: set provider (one deployment) or deployments`);
    if (m.provider !== "" && m.deployments.length > 0)
      throw new ConfigError(`config: models[${i}].deployments: set provider or deployments, not both`);
    if (m.provider !== "" && !ids.has(m.provider))
      throw new ConfigError(`config: models[${i}].provider: no provider with this id`);
    m.deployments.forEach((d, j) => {
      if (!ids.has(d.provider))
        throw new ConfigError(`config: models[${i}].deployments[${j}].provider: no provider with this id`);
    });
    m.fallbacks.forEach((f, j) => {
      if (!ids.has(f.provider))
        throw new ConfigError(`config: models[${i}].fallbacks[${j}].provider: no provider with this id`);
    });
  });
  config.server.trusted_proxies.forEach((c, i) => {
    if (!parseCidr(c))
      throw new ConfigError(
        `config: server.trusted_proxies[${i}]: not an address block such as 10.0.0.0/8 or fd00::/8`,
      );
  });
  if ((config.server.tls_cert === "") !== (config.server.tls_key === ""))
    throw new ConfigError("config: server.tls_cert: tls_cert and tls_key must be set together");
}

/** JSON pointer `/providers/0/kind` → `providers[0].kind`. */
function keyPath(pointer: string): string {
  const parts = pointer.split("/").filter(Boolean);
  if (parts.length === 0) return "(top level)";
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), "");
}

function allowedValues(schema: TSchema): string {
  const options = (schema.anyOf as TSchema[] | undefined)?.map((s) => s.const).filter((c) => c !== undefined);
  if (options?.length) return ` (allowed: ${options.map((o) => JSON.stringify(o)).join(", ")})`;
  return "";
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
