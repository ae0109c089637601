export { loadConfig, ConfigError, type Config } from "./load.js";
export { envSchema, type CapabilityMode } from "./schema.js";
