"""Complete in-memory implementations of every port, for unit tests, e2e tests and fake mode."""
