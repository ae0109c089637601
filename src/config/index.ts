export { loadConfig, ConfigError, type Config, type TracingConfig } from "./load.js";
export { envSchema, numberVar, CAPABILITY_MODES, type CapabilityMode, type NumberRange } from "./schema.js";
export { checkLoopback, isLoopbackAddress, type Lookup, type LoopbackCheck, type ResolvedAddress } from "./loopback.js";
export { loadKeysFile, KeysFileError, type ApiKey } from "./keys-file.js";
export { parseGatewayArgs, variablesHelp } from "./cli.js";
export { ENV_GROUPS, type EnvName } from "./groups.js";
