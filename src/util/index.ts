export { childController, FINISHED, CANCELLED, RequestEnded, type ChildController } from "./abort.js";
export { checkJsonShape, type JsonShapeLimits, type JsonShapeViolation } from "./json-shape.js";
export { parseYaml } from "./yaml.js";
export { startWorker } from "./worker-thread.js";
