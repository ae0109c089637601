export { loadConfig, ConfigError, type Config } from "./load.js";
export { envSchema, type CapabilityMode } from "./schema.js";
export { checkLoopback, isLoopbackAddress, type Lookup, type LoopbackCheck, type ResolvedAddress } from "./loopback.js";
