"""The test suite (a package, so that no installed ``tests`` package shadows it)."""
