"""Every test can use the lab: real servers on loopback, started on demand (see tests/lab/)."""

pytest_plugins = ["lab.fixtures"]
