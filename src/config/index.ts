export { loadConfig, ConfigError, type Config } from "./load.js";
export { envSchema, numberVar, type CapabilityMode, type NumberRange } from "./schema.js";
