// swift-tools-version:6.1
import PackageDescription

/// Release-mode benchmarks, kept out of the main package so CI's test build stays fast.
/// Run through Tools/bench/*.sh, which also measure the peers in the same run.
let package = Package(
    name: "sessionlog-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "sessionlog")],  // a symlink to the repository root, for a stable package identity,
    targets: [
        .target(name: "BenchInput"),
        .executableTarget(
            name: "log-bench",
            dependencies: [
                "BenchInput",
                .product(name: "LogStore", package: "sessionlog"),
                .product(name: "LogFormat", package: "sessionlog"),
            ]
        ),
        .executableTarget(
            name: "payload-bench",
            dependencies: ["BenchInput", .product(name: "Payloads", package: "sessionlog")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
