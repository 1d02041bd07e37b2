internal import Foundation

/// A blocking FIFO with a fixed capacity, between threads: `put` waits while it is full, `take`
/// while it is empty. After ``cancel()`` a `put` returns at once without adding (a producer
/// checks ``isCancelled`` to stop early); `take` still returns what is queued.
// @unchecked Sendable: every access to `items` and `cancelled` happens with `condition` locked.
package final class BoundedQueue<T: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [T] = []
    private let capacity: Int
    private var cancelled = false

    package init(capacity: Int) {
        precondition(capacity >= 1, "a queue holds at least one item")
        self.capacity = capacity
    }

    package func put(_ item: T) {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        if cancelled { return }
        items.append(item)
        condition.broadcast()
    }

    package func take() -> T {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty { condition.wait() }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    package var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    package func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
