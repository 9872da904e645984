"""One small module per probe. Each takes plain values and a timeout and returns an evidence value from
:mod:`mailwarden.diagnose.evidence`; none raises for what a remote party did (that is the evidence)."""
