/** A command line that cannot be run as given: the process prints it with the usage text and exits 2. */
export class UsageError extends Error {}
