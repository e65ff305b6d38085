"""Many rows of values: values files and batches (CSV, TSV, JSON Lines) read, and run a chunk of
rows at once. Imports engine/ and below; never formats output."""
