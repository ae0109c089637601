export { webRoutes } from "./routes.js";
export { loadWebAssets, type WebAsset, type WebAssets } from "./assets.js";
export { bundleWebAssets, writeWebAssets, WEB_ASSET_NAMES, PREBUILT_DIR, type WebAssetName } from "./build.js";
