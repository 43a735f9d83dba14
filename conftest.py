pytest_plugins = ["conformance.plugin", "conformance.evals.plugin"]
