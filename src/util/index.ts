export { childController, FINISHED, CANCELLED, RequestEnded, type ChildController } from "./abort.js";
