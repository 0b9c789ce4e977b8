/** The platform-neutral API: the host, its registries, capabilities and errors. */
export { ABI_VERSION } from "./abi.js";
export * from "./capabilities.js";
export * from "./errors.js";
export { HandlerRegistry, type HandlerFactory, type ModelHandler } from "./handlers/index.js";
export { DEFAULT_LIMITS, type Limits, type LoadOptions, Rune } from "./host.js";
export type { CapabilitySpec, Manifest, ModelSpec, OutputSpec } from "./manifest.js";
export { type Output, type TensorValue, renderJson } from "./outputs.js";
export type { Audio } from "./sound.js";
export type { Pixels } from "./image.js";
export { type StreamWindow, soundStage, windows as streamWindows } from "./stream.js";
