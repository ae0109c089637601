export { childController, FINISHED, CANCELLED, type ChildController } from "./abort.js";
