"""The calculation engine: arrays in, arrays out (no database, no HTTP)."""
