/**
 * A command line that cannot be run as given: an unknown flag, a missing
 * value, a value of the wrong form. Every cnm program answers it the same
 * way, docker's and Go's flag convention: the message, the usage text, exit 2.
 * One class for the three programs, so a check shared between them (a log
 * level, a gossip key) fails the same way in each.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
