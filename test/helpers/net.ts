// One port picker for the suite and the bench: bench/procs.ts says what its race is and how a spawn
// survives it (onFreePort, listensOn).
export { freePort, listensOn, onFreePort, PortTakenError } from "../../bench/procs.js";
