// swift-tools-version:6.1
import PackageDescription

/// sessionlog: an event-sourced log processor for web-analytics sessions.
/// Module dependencies point one way: CLI → LogStore → LogFormat → C shims.
let package = Package(
    name: "sessionlog",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sessionlog", targets: ["sessionlog"]),
        .library(name: "LogFormat", targets: ["LogFormat"]),
        .library(name: "LogStore", targets: ["LogStore"]),
        .library(name: "Payloads", targets: ["Payloads"]),
        .library(name: "Ingress", targets: ["Ingress"]),
        .library(name: "Projections", targets: ["Projections"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(name: "CChecksum"),
        .target(
            name: "LogFormat",
            dependencies: [
                "CLZ4",
                "CChecksum",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "LogStore", dependencies: ["LogFormat"]),
        // simdjson (Debian's libsimdjson-dev) behind a C API: the payload parser's fast path.
        .target(name: "CSimdJSON", linkerSettings: [.linkedLibrary("simdjson")]),
        .target(name: "Payloads", dependencies: ["CSimdJSON"]),
        // posix_spawn for `up`'s supervisor and the test kit (Foundation's Process over-reads).
        .target(name: "CProcessSpawn"),
        .target(name: "ProcessSpawn", dependencies: ["CProcessSpawn"]),
        .target(
            name: "Ingress",
            dependencies: [
                "LogStore", "Payloads",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Projections",
            dependencies: ["CSQLite", "LogFormat", "LogStore", "Payloads"],
            // Symlinks to Schemas/projections/*/vN.sql and Schemas/channels.json: the schemas
            // stay the source of truth and the binary carries them.
            resources: [.embedInCode("Embedded")]
        ),
        .target(
            name: "SessionlogCLI",
            dependencies: [
                "LogStore",
                "Payloads",
                "Ingress",
                "Projections",
                "ProcessSpawn",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(name: "sessionlog", dependencies: ["SessionlogCLI"]),
        .target(name: "SessionlogTestKit", dependencies: ["LogStore", "Ingress", "Projections", "ProcessSpawn"]),
        .testTarget(name: "LogFormatTests", dependencies: ["LogFormat"]),
        .testTarget(name: "PayloadsTests", dependencies: ["Payloads", "SessionlogTestKit"]),
        .testTarget(name: "LogStoreTests", dependencies: ["LogStore", "SessionlogTestKit"]),
        .testTarget(
            name: "IngressTests",
            dependencies: ["Ingress", "LogFormat", "LogStore", "Payloads", "SessionlogTestKit", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio")]
        ),
        .testTarget(name: "ProjectionsTests", dependencies: ["Projections", "LogStore", "SessionlogTestKit"]),
        .testTarget(
            name: "SessionlogIntegrationTests",
            dependencies: ["LogStore", "Projections", "ProcessSpawn", "SessionlogTestKit"]
        ),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
