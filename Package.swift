// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "cops-vigilante",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vigilante", targets: ["vigilante"]),
        .executable(name: "vigilante-bench", targets: ["vigilante-bench"]),
        .library(name: "VigilanteCore", targets: ["VigilanteCore"]),
        .library(name: "ClusterSimulator", targets: ["ClusterSimulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        .target(
            name: "HTTPServerSupport",
            dependencies: [
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "VigilanteCore",
            dependencies: [
                "HTTPServerSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(
            name: "SNAT",
            dependencies: ["VigilanteCore"],
            path: "Sources/Tasks/SNAT"
        ),
        .target(
            name: "EvictedPodCleanup",
            dependencies: ["VigilanteCore"],
            path: "Sources/Tasks/EvictedPodCleanup"
        ),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(
            name: "ClusterSimulator",
            dependencies: [
                "HTTPServerSupport",
                "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The build stamp (git commit, date) that scripts/build-release.sh writes into the linked binary.
        .target(name: "VigilanteBuildInfo"),
        .executableTarget(
            name: "vigilante",
            dependencies: [
                "VigilanteCore",
                "VigilanteBuildInfo",
                "SNAT",
                "EvictedPodCleanup",
                "ClusterSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "vigilante-bench",
            dependencies: [
                "ClusterSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "VigilanteCoreTests",
            dependencies: [
                "VigilanteCore", "SNAT", "ClusterSimulator", "TaskTestSupport", "HTTPServerSupport",
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ClusterSimulatorTests",
            dependencies: [
                "ClusterSimulator",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "TaskTestSupport",
            dependencies: [
                "VigilanteCore",
                "ClusterSimulator",
                "HTTPServerSupport",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Tests/TaskTestSupport"
        ),
        .testTarget(
            name: "SNATTests",
            dependencies: ["SNAT", "VigilanteCore", "ClusterSimulator", "TaskTestSupport"]
        ),
        .testTarget(
            name: "EvictedPodCleanupTests",
            dependencies: ["EvictedPodCleanup", "VigilanteCore", "ClusterSimulator", "TaskTestSupport"]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "VigilanteCore",
                "ClusterSimulator",
                "TaskTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
