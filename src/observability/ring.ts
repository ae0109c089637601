/** A fixed-capacity buffer that forgets its oldest item when full. */
export interface Ring<T> {
  push(item: T): void;
  /** Oldest first. */
  toArray(): T[];
  /** The newest `count` items, oldest first. */
  last(count: number): T[];
  readonly size: number;
  readonly capacity: number;
}

/**
 * Creates a ring buffer. Memory stays at `capacity` slots however long the process runs, which is
 * the point: the monitor must never grow with traffic.
 */
export function createRing<T>(capacity: number): Ring<T> {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
  const slots: Array<T | undefined> = new Array<T | undefined>(capacity);
  // Index of the slot the next push writes; once full it is also the oldest item.
  let next = 0;
  let size = 0;

  function last(count: number): T[] {
    const n = Math.max(0, Math.min(Math.floor(count), size));
    const out: T[] = [];
    for (let i = n; i > 0; i--) {
      const item = slots[(next - i + capacity) % capacity];
      if (item !== undefined) out.push(item);
    }
    return out;
  }

  return {
    push(item) {
      slots[next] = item;
      next = (next + 1) % capacity;
      if (size < capacity) size++;
    },
    toArray: () => last(size),
    last,
    get size() {
      return size;
    },
    capacity,
  };
}
