// Host port allocator for published ports.
export {
  PortAllocator,
  PortAlreadyAllocatedError,
  PortsExhaustedError,
  DEFAULT_RANGE_START,
  DEFAULT_RANGE_END,
  canonicalHostIP,
  type PortAllocation,
  type PortAllocatorOptions,
  type PortAllocatorState,
  type PortProtocol,
} from "./port-allocator.js";
export { isHostPortFree, requestProbedPort, PortInUseError, type ProbedRequestOptions } from "./host-port-probe.js";
