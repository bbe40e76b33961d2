import NIOCore

/// One open watch stream: forwards the store's events to the client, sends bookmarks, and ends at
/// `timeoutSeconds` (cleanly) or when cut (abruptly).
struct WatchSession: Sendable {
    struct Cut: Error {}

    let store: ObjectStore
    let storageKey: String
    let watcherID: Int
    let stream: AsyncStream<WatchChunk>
    let timeout: Duration
    let bookmarkInterval: Duration

    /// Streams until the end; `write` sends one chunk (and flushes). Throws ``Cut`` for an abrupt end.
    func run(write: @Sendable (ByteBuffer) async throws -> Void) async throws {
        let store = self.store
        let storageKey = self.storageKey
        let watcherID = self.watcherID
        let timeout = self.timeout
        let bookmarkInterval = self.bookmarkInterval
        let timer = Task {
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: timeout)
            // The real server sends a last bookmark about two seconds before the timeout.
            let finalBookmark = deadline.advanced(by: .seconds(-2))
            var nextBookmark = clock.now.advanced(by: bookmarkInterval)
            var finalSent = false
            while !Task.isCancelled {
                var wake = deadline
                if !finalSent, finalBookmark > clock.now, finalBookmark < wake { wake = finalBookmark }
                if nextBookmark < wake { wake = nextBookmark }
                try? await Task.sleep(until: wake, clock: clock)
                if Task.isCancelled { return }
                let now = clock.now
                if now >= deadline {
                    store.stopWatch(storageKey: storageKey, watcherID: watcherID)
                    return
                }
                if !finalSent, now >= finalBookmark {
                    finalSent = true
                    store.sendBookmarkIfProgressed(storageKey: storageKey, watcherID: watcherID)
                }
                if now >= nextBookmark {
                    nextBookmark = now.advanced(by: bookmarkInterval)
                    store.sendBookmarkIfProgressed(storageKey: storageKey, watcherID: watcherID)
                }
            }
        }
        defer {
            timer.cancel()
            store.stopWatch(storageKey: storageKey, watcherID: watcherID)
        }
        for await chunk in stream {
            switch chunk {
            case .line(let buffer): try await write(buffer)
            case .cut: throw Cut()
            }
        }
    }
}
