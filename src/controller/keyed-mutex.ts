/**
 * Serialises async work per key (a sandbox id, a network id) so concurrent
 * operations on different objects run in parallel while two operations on the
 * same object queue up. libnetwork's single controller lock is what makes its
 * attach path serialise; this is the alternative.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      // Forget the key once nobody queued behind us, so the map does not grow.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Run with several keys held, taken in sorted order so two callers cannot deadlock. */
  async runAll<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const step = (i: number): Promise<T> => (i === sorted.length ? work() : this.run(sorted[i]!, () => step(i + 1)));
    return step(0);
  }
}
