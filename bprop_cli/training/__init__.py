"""Training: optimizers written from their published update rules, the descent loop over a
program's loss, the built-in runs. Imports batch/, engine/ and below; never prints."""
